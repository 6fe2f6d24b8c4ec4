#include "provisioner/ops/provisioner_metrics.h"

#include <cerrno>
#include <memory>
#include <utility>

namespace nfsprov::ops {

namespace {

double seconds(std::chrono::nanoseconds took) {
  return std::chrono::duration<double>(took).count();
}

std::string text(std::string_view value) {
  return std::string(value);
}

// The four per-volume usage families, one table behind them (volume_usage_table.h).
std::shared_ptr<VolumeUsageTable> add_volume_usage_families(MetricsRegistry& registry) {
  auto table = std::make_shared<VolumeUsageTable>();
  using Column = VolumeUsageTable::Column;
  const std::pair<const char*, const char*> names[] = {
      {"nfs_provisioner_volume_used_bytes",
       "Bytes of the regular files in a volume's directory, walked through NFS by the leader "
       "(--usage-interval)."},
      {"nfs_provisioner_volume_used_inodes",
       "Directories, files and symlinks in a volume's directory (itself included)."},
      {"nfs_provisioner_volume_requested_bytes",
       "A volume's size (the PV's spec.capacity.storage): a promise on NFS, not a quota."},
      {"nfs_provisioner_volume_over_request",
       "1 while a volume uses more than its class's usageWarningPercent of its request."}};
  const Column columns[] = {Column::used_bytes, Column::used_inodes, Column::requested_bytes,
                            Column::over_request};
  // Another ProvisionerMetrics on this registry made them first: its table is the one.
  for (std::size_t i = 0; i < 4; ++i)
    table =
        dynamic_cast<VolumeUsageFamily&>(registry.add_family(std::make_unique<VolumeUsageFamily>(
                                             names[i].first, names[i].second, table, columns[i])))
            .table();
  return table;
}

}  // namespace

std::vector<double> nfs_operation_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::string errno_label(int err) {
  switch (err) {
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EINTR:
      return "EINTR";
    case EIO:
      return "EIO";
    case EACCES:
      return "EACCES";
    case EEXIST:
      return "EEXIST";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case EINVAL:
      return "EINVAL";
    case EFBIG:
      return "EFBIG";
    case ENOSPC:
      return "ENOSPC";
    case EROFS:
      return "EROFS";
    case ENAMETOOLONG:
      return "ENAMETOOLONG";
    case ENOTEMPTY:
      return "ENOTEMPTY";
    case ELOOP:
      return "ELOOP";
    case EDQUOT:
      return "EDQUOT";
    case ESTALE:
      return "ESTALE";
    case ETIMEDOUT:
      return "ETIMEDOUT";
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case ECONNRESET:
      return "ECONNRESET";
    case EHOSTUNREACH:
      return "EHOSTUNREACH";
    case ENOTSUP:
      return "ENOTSUP";
    case EAGAIN:
      return "EAGAIN";
    case ENOMEM:
      return "ENOMEM";
    case EFAULT:
      return "EFAULT";
    default:
      return std::to_string(err);
  }
}

ProvisionerMetrics::ProvisionerMetrics(MetricsRegistry& registry, std::string_view version)
    : provision_total_(registry.counter(
          "controller_persistentvolumeclaim_provision_total",
          "Total number of persistent volumes provisioned succesfully. Broken down by storage "
          "class name and source of the claim.",
          {"class", "source"})),
      provision_failed_total_(registry.counter(
          "controller_persistentvolumeclaim_provision_failed_total",
          "Total number of persistent volume provision failed attempts. Broken down by storage "
          "class name and source of the claim.",
          {"class", "source"})),
      provision_duration_(registry.histogram(
          "controller_persistentvolumeclaim_provision_duration_seconds",
          "Latency in seconds to provision persistent volumes. Failed provisioning attempts are "
          "ignored. Broken down by storage class name and source of the claim.",
          {"class", "source"}, default_buckets())),
      delete_total_(registry.counter("controller_persistentvolume_delete_total",
                                     "Total number of persistent volumes deleted succesfully. "
                                     "Broken down by storage class name.",
                                     {"class"})),
      delete_failed_total_(registry.counter("controller_persistentvolume_delete_failed_total",
                                            "Total number of persistent volume delete failed "
                                            "attempts. Broken down by storage class name.",
                                            {"class"})),
      delete_duration_(registry.histogram(
          "controller_persistentvolume_delete_duration_seconds",
          "Latency in seconds to delete persistent volumes. Failed deletion attempts are "
          "ignored. Broken down by storage class name.",
          {"class"}, default_buckets())),
      failures_by_reason_(
          registry.counter("nfs_provisioner_failures_total",
                           "Failed provision and delete attempts by storage class and cause.",
                           {"operation", "class", "reason"})),
      nfs_duration_(registry.histogram(
          "nfs_provisioner_nfs_operation_duration_seconds",
          "Latency in seconds of NFS operations (mount, mkdir, rename, delete, ...) by export.",
          {"server", "operation"}, nfs_operation_buckets())),
      nfs_errors_(registry.counter("nfs_provisioner_nfs_operation_errors_total",
                                   "NFS operations that failed, by export, operation and errno.",
                                   {"server", "operation", "errno"})),
      queue_depth_(registry
                       .gauge("nfs_provisioner_workqueue_depth",
                              "Claims and volumes waiting in the work queue.")
                       .get()),
      queue_retries_(registry
                         .counter("nfs_provisioner_workqueue_retries_total",
                                  "Keys put back into the work queue with back-off after a "
                                  "failure.")
                         .get()),
      watch_restarts_(registry.counter(
          "nfs_provisioner_watch_restarts_total",
          "Watches of the API server that ended and were resumed, by resource.", {"resource"})),
      relists_(registry.counter("nfs_provisioner_relists_total",
                                "Full relists of a resource (watch history expired or first "
                                "list), by resource.",
                                {"resource"})),
      informer_failures_(registry.counter(
          "nfs_provisioner_informer_failures_total",
          "Lists and watches of the API server that failed (and were retried with back-off), "
          "by resource and operation.",
          {"resource", "operation"})),
      api_forbidden_(registry.counter(
          "nfs_provisioner_api_forbidden_total",
          "Requests the API server refused with 403: a permission the RBAC rules lack.", {})),
      orphans_(registry.counter(
          "nfs_provisioner_orphaned_directories_total",
          "Directories made for claims deleted before their volume existed (a crash between "
          "mkdir and the PV), cleaned up by the leader, by class and action.",
          {"class", "action"})),
      archives_expired_(registry.counter(
          "nfs_provisioner_archives_expired_total",
          "Archives (archived-* directories of ours) older than their export's archiveRetention, "
          "removed by the leader, by export.",
          {"server"})),
      volume_usage_(add_volume_usage_families(registry)),
      export_volumes_used_bytes_(
          registry.gauge("nfs_provisioner_export_volumes_used_bytes",
                         "Bytes used by the measured volumes of an export, in total.", {"server"})),
      usage_walk_calls_(registry.counter(
          "nfs_provisioner_usage_walk_nfs_calls_total",
          "NFS calls the usage walks made, by export (capped by --usage-ops-per-second).",
          {"server"})),
      usage_walk_seconds_(registry.gauge("nfs_provisioner_usage_walk_duration_seconds",
                                         "How long the last pass over an export's volumes took.",
                                         {"server"})),
      leader_(registry
                  .gauge("nfs_provisioner_leader",
                         "1 while this replica holds the leader lease, else 0.")
                  .get()),
      export_total_(registry.gauge("nfs_provisioner_export_total_bytes",
                                   "Size of the export's file system (statvfs), by export; "
                                   "refreshed at most every 30 s.",
                                   {"server"})),
      export_free_(registry.gauge("nfs_provisioner_export_free_bytes",
                                  "Free bytes on the export's file system (statvfs), by export.",
                                  {"server"})),
      export_available_(registry.gauge(
          "nfs_provisioner_export_available_bytes",
          "Bytes an unprivileged writer may still use on the export (statvfs), by export: what "
          "a class's capacityPolicy compares a claim's request with.",
          {"server"})) {
  registry
      .gauge("nfs_provisioner_build_info", "Build information; the value is always 1.", {"version"})
      .with({text(version)})
      .set(1);
}

void ProvisionerMetrics::provision_succeeded(std::string_view storage_class,
                                             std::string_view source,
                                             std::chrono::nanoseconds took) {
  const std::vector<std::string> labels{text(storage_class), text(source)};
  provision_duration_.with(labels).observe(seconds(took));
  provision_total_.with(labels).inc();
}

void ProvisionerMetrics::provision_failed(std::string_view storage_class, std::string_view source,
                                          std::string_view reason) {
  provision_failed_total_.with({text(storage_class), text(source)}).inc();
  failures_by_reason_.with({"provision", text(storage_class), text(reason)}).inc();
}

void ProvisionerMetrics::delete_succeeded(std::string_view storage_class,
                                          std::chrono::nanoseconds took) {
  const std::vector<std::string> labels{text(storage_class)};
  delete_duration_.with(labels).observe(seconds(took));
  delete_total_.with(labels).inc();
}

void ProvisionerMetrics::delete_failed(std::string_view storage_class, std::string_view reason) {
  delete_failed_total_.with({text(storage_class)}).inc();
  failures_by_reason_.with({"delete", text(storage_class), text(reason)}).inc();
}

void ProvisionerMetrics::nfs_operation(const nfs::ExportAddress& address, std::string_view op,
                                       std::chrono::nanoseconds took, int err) {
  const std::string server = address.display();
  nfs_duration_.with({server, text(op)}).observe(seconds(took));
  if (err != 0) nfs_errors_.with({server, text(op), errno_label(err)}).inc();
}

nfs::NfsObserver ProvisionerMetrics::nfs_observer() {
  return [this](const nfs::ExportAddress& address, std::string_view op,
                std::chrono::nanoseconds took, int err) { nfs_operation(address, op, took, err); };
}

void ProvisionerMetrics::set_queue_depth(std::size_t depth) {
  queue_depth_.set(static_cast<double>(depth));
}

void ProvisionerMetrics::queue_retried() {
  queue_retries_.inc();
}

void ProvisionerMetrics::watch_restarted(std::string_view resource, std::uint64_t count) {
  watch_restarts_.with({text(resource)}).inc(static_cast<double>(count));
}

void ProvisionerMetrics::relisted(std::string_view resource, std::uint64_t count) {
  relists_.with({text(resource)}).inc(static_cast<double>(count));
}

void ProvisionerMetrics::informer_failed(std::string_view resource, std::string_view operation,
                                         std::uint64_t count) {
  informer_failures_.with({text(resource), text(operation)}).inc(static_cast<double>(count));
}

void ProvisionerMetrics::api_forbidden() {
  api_forbidden_.get().inc();
}

void ProvisionerMetrics::orphan_cleaned(std::string_view storage_class, std::string_view action) {
  orphans_.with({text(storage_class), text(action)}).inc();
}

void ProvisionerMetrics::volume_usage(std::string_view ns, std::string_view claim,
                                      std::string_view pv, std::uint64_t used_bytes,
                                      std::uint64_t used_inodes, std::uint64_t requested_bytes,
                                      bool over) {
  volume_usage_->set(pv, {text(ns), text(claim), used_bytes, used_inodes, requested_bytes, over});
}

void ProvisionerMetrics::volume_forgotten(std::string_view pv) {
  volume_usage_->forget(pv);
}

void ProvisionerMetrics::export_volumes_measured(const nfs::ExportAddress& address,
                                                 std::uint64_t used_bytes, std::uint64_t nfs_calls,
                                                 std::chrono::nanoseconds took) {
  const std::vector<std::string> labels{address.display()};
  export_volumes_used_bytes_.with(labels).set(static_cast<double>(used_bytes));
  usage_walk_calls_.with(labels).inc(static_cast<double>(nfs_calls));
  usage_walk_seconds_.with(labels).set(std::chrono::duration<double>(took).count());
}

void ProvisionerMetrics::archive_expired(const nfs::ExportAddress& address) {
  archives_expired_.with({address.display()}).inc();
}

void ProvisionerMetrics::export_usage(const nfs::ExportAddress& address,
                                      const nfs::ExportUsage& usage) {
  const std::vector<std::string> labels{address.display()};
  export_total_.with(labels).set(static_cast<double>(usage.total_bytes));
  export_free_.with(labels).set(static_cast<double>(usage.free_bytes));
  export_available_.with(labels).set(static_cast<double>(usage.available_bytes));
}

void ProvisionerMetrics::set_leader(bool leader) {
  leader_.set(leader ? 1.0 : 0.0);
}

}  // namespace nfsprov::ops
