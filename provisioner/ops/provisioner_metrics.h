// The provisioner's named metrics. The controller_* names, labels and buckets are those of
// sig-storage-lib-external-provisioner (controller/metrics/metrics.go), so dashboards built
// for nfs-subdir-external-provisioner keep working; nfs_provisioner_* are ours.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "nfs/export_client.h"
#include "nfs/nfs_observer.h"
#include "nfs/values/export_address.h"
#include "provisioner/ops/metrics.h"
#include "provisioner/ops/volume_usage_table.h"

namespace nfsprov::ops {

// Buckets of nfs_provisioner_nfs_operation_duration_seconds: loopback ops take ~0.2 ms, a
// stalled server up to the RPC timeout (10 s by default).
std::vector<double> nfs_operation_buckets();

// "EACCES" for EACCES, the number as text for errno values without a name here.
std::string errno_label(int err);

class ProvisionerMetrics {
 public:
  // Registers every metric in registry (which must outlive this) and sets
  // nfs_provisioner_build_info{version} to 1.
  ProvisionerMetrics(MetricsRegistry& registry, std::string_view version);
  ProvisionerMetrics(const ProvisionerMetrics&) = delete;
  ProvisionerMetrics& operator=(const ProvisionerMetrics&) = delete;

  // source: the claim's dataSource kind, "" without one (the library's "source" label).
  void provision_succeeded(std::string_view storage_class, std::string_view source,
                           std::chrono::nanoseconds took);
  void provision_failed(std::string_view storage_class, std::string_view source,
                        std::string_view reason);
  void delete_succeeded(std::string_view storage_class, std::chrono::nanoseconds took);
  void delete_failed(std::string_view storage_class, std::string_view reason);

  // server label: address.display() ("server:/export"), operation: the nfs/ layer's op name.
  void nfs_operation(const nfs::ExportAddress& address, std::string_view op,
                     std::chrono::nanoseconds took, int err);
  // An NfsObserver for ExportPools/ExportClient that calls nfs_operation(); it refers to
  // this object, which must outlive every pool using it.
  nfs::NfsObserver nfs_observer();

  void set_queue_depth(std::size_t depth);
  void queue_retried();
  void watch_restarted(std::string_view resource, std::uint64_t count = 1);
  void relisted(std::string_view resource, std::uint64_t count = 1);
  // The API server answered 403 (a permission the RBAC rules lack).
  void api_forbidden();
  // A list or watch of the API server that failed (operation "list" or "watch").
  void informer_failed(std::string_view resource, std::string_view operation,
                       std::uint64_t count = 1);
  void set_leader(bool leader);
  // The export's statvfs (server label: address.display()): total, free, and available to an
  // unprivileged writer, which is what capacityPolicy compares a request with.
  void export_usage(const nfs::ExportAddress& address, const nfs::ExportUsage& usage);
  // A directory left by a crash for a claim that is gone (action "removed" or "archived").
  void orphan_cleaned(std::string_view storage_class, std::string_view action);
  // A volume's measured usage, labelled namespace, persistentvolumeclaim, persistentvolume as
  // kubelet_volume_stats_* are; forgotten (its series dropped) once the volume is not measured.
  void volume_usage(std::string_view ns, std::string_view claim, std::string_view pv,
                    std::uint64_t used_bytes, std::uint64_t used_inodes,
                    std::uint64_t requested_bytes, bool over);
  void volume_forgotten(std::string_view pv);
  // One pass over an export's volumes: their total, and the NFS calls and time it took.
  void export_volumes_measured(const nfs::ExportAddress& address, std::uint64_t used_bytes,
                               std::uint64_t nfs_calls, std::chrono::nanoseconds took);
  // An archive older than its export's archiveRetention was removed (server label as above).
  void archive_expired(const nfs::ExportAddress& address);

 private:
  CounterFamily& provision_total_;
  CounterFamily& provision_failed_total_;
  HistogramFamily& provision_duration_;
  CounterFamily& delete_total_;
  CounterFamily& delete_failed_total_;
  HistogramFamily& delete_duration_;
  CounterFamily& failures_by_reason_;
  HistogramFamily& nfs_duration_;
  CounterFamily& nfs_errors_;
  Gauge& queue_depth_;
  Counter& queue_retries_;
  CounterFamily& watch_restarts_;
  CounterFamily& relists_;
  CounterFamily& informer_failures_;
  CounterFamily& api_forbidden_;
  CounterFamily& orphans_;
  CounterFamily& archives_expired_;
  std::shared_ptr<VolumeUsageTable> volume_usage_;
  GaugeFamily& export_volumes_used_bytes_;
  CounterFamily& usage_walk_calls_;
  GaugeFamily& usage_walk_seconds_;
  Gauge& leader_;
  GaugeFamily& export_total_;
  GaugeFamily& export_free_;
  GaugeFamily& export_available_;
};

}  // namespace nfsprov::ops
