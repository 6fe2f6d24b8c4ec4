#include "provisioner/ops/controller_metrics.h"

namespace nfsprov::ops {

// The observer hooks carry no dataSource kind, so source is "", which is what the library
// reports for claims without a dataSource (the common case).
void ControllerMetrics::provision_succeeded(std::string_view storage_class,
                                            std::chrono::nanoseconds took) {
  metrics_.provision_succeeded(storage_class, "", took);
}

void ControllerMetrics::provision_failed(std::string_view storage_class,
                                         std::chrono::nanoseconds /*took*/,
                                         std::string_view reason) {
  metrics_.provision_failed(storage_class, "", reason);
}

void ControllerMetrics::delete_succeeded(std::string_view storage_class,
                                         std::chrono::nanoseconds took) {
  metrics_.delete_succeeded(storage_class, took);
}

void ControllerMetrics::delete_failed(std::string_view storage_class,
                                      std::chrono::nanoseconds /*took*/, std::string_view reason) {
  metrics_.delete_failed(storage_class, reason);
}

void ControllerMetrics::queue_depth(std::size_t depth) {
  metrics_.set_queue_depth(depth);
}

void ControllerMetrics::queue_retry() {
  metrics_.queue_retried();
}

void ControllerMetrics::informer_stats(std::string_view resource,
                                       const kube::InformerStats& stats) {
  kube::InformerStats delta = stats;
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = last_stats_.try_emplace(std::string(resource), stats);
    if (!inserted) {
      if (stats.watch_restarts >= it->second.watch_restarts) {
        delta.watch_restarts = stats.watch_restarts - it->second.watch_restarts;
      }
      if (stats.relists >= it->second.relists) delta.relists = stats.relists - it->second.relists;
      if (stats.list_failures >= it->second.list_failures)
        delta.list_failures = stats.list_failures - it->second.list_failures;
      if (stats.watch_failures >= it->second.watch_failures)
        delta.watch_failures = stats.watch_failures - it->second.watch_failures;
      it->second = stats;
    }
  }
  if (delta.watch_restarts > 0) metrics_.watch_restarted(resource, delta.watch_restarts);
  if (delta.relists > 0) metrics_.relisted(resource, delta.relists);
  if (delta.list_failures > 0) metrics_.informer_failed(resource, "list", delta.list_failures);
  if (delta.watch_failures > 0) metrics_.informer_failed(resource, "watch", delta.watch_failures);
}

}  // namespace nfsprov::ops

namespace nfsprov::ops {

void ControllerMetrics::volume_usage(const controller::VolumeUsageSample& sample) {
  metrics_.volume_usage(sample.namespace_, sample.claim, sample.pv, sample.used_bytes,
                        sample.used_inodes, sample.requested_bytes, sample.over);
}

void ControllerMetrics::volume_usage_forgotten(std::string_view pv) {
  metrics_.volume_forgotten(pv);
}

void ControllerMetrics::export_volumes_measured(const nfs::ExportAddress& address,
                                                std::uint64_t used_bytes, std::uint64_t nfs_calls,
                                                std::chrono::nanoseconds took) {
  metrics_.export_volumes_measured(address, used_bytes, nfs_calls, took);
}

void ControllerMetrics::archive_expired(const nfs::ExportAddress& address) {
  metrics_.archive_expired(address);
}

void ControllerMetrics::orphan_cleaned(std::string_view storage_class, std::string_view action) {
  metrics_.orphan_cleaned(storage_class, action);
}

void ControllerMetrics::export_usage(const nfs::ExportAddress& address,
                                     const nfs::ExportUsage& usage) {
  metrics_.export_usage(address, usage);
}

}  // namespace nfsprov::ops
