// The controller's observer hooks turned into ProvisionerMetrics updates.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "provisioner/controller/controller_observer.h"
#include "provisioner/ops/provisioner_metrics.h"

namespace nfsprov::ops {

class ControllerMetrics : public controller::ControllerObserver {
 public:
  // metrics must outlive this observer.
  explicit ControllerMetrics(ProvisionerMetrics& metrics) : metrics_(metrics) {}

  void provision_succeeded(std::string_view storage_class, std::chrono::nanoseconds took) override;
  void provision_failed(std::string_view storage_class, std::chrono::nanoseconds took,
                        std::string_view reason) override;
  void delete_succeeded(std::string_view storage_class, std::chrono::nanoseconds took) override;
  void delete_failed(std::string_view storage_class, std::chrono::nanoseconds took,
                     std::string_view reason) override;
  void queue_depth(std::size_t depth) override;
  void queue_retry() override;
  void orphan_cleaned(std::string_view storage_class, std::string_view action) override;
  void archive_expired(const nfs::ExportAddress& address) override;
  void volume_usage(const controller::VolumeUsageSample& sample) override;
  void volume_usage_forgotten(std::string_view pv) override;
  void export_volumes_measured(const nfs::ExportAddress& address, std::uint64_t used_bytes,
                               std::uint64_t nfs_calls, std::chrono::nanoseconds took) override;
  void export_usage(const nfs::ExportAddress& address, const nfs::ExportUsage& usage) override;
  // Informer stats are cumulative per informer; counters get the increase since the last
  // report (a smaller value means a new informer, counted from zero).
  void informer_stats(std::string_view resource, const kube::InformerStats& stats) override;

 private:
  ProvisionerMetrics& metrics_;
  std::mutex mutex_;
  std::map<std::string, kube::InformerStats, std::less<>> last_stats_;
};

}  // namespace nfsprov::ops
