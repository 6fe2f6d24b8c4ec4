// What the controller reports while it works, for metrics (the ops layer implements it).
// Every method has a no-op default so an observer overrides only what it counts. Methods are
// called from worker and informer threads: implementations must be thread-safe and quick.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nfs/export_client.h"
#include "nfs/values/export_address.h"
#include "provisioner/kube/informer.h"

namespace nfsprov::controller {

// One volume's measured usage (VolumeUsageMeter).
struct VolumeUsageSample {
  std::string namespace_;  // the claim's
  std::string claim;
  std::string pv;
  std::uint64_t used_bytes = 0;   // regular files' sizes
  std::uint64_t used_inodes = 0;  // the directory itself and every entry below it
  std::uint64_t requested_bytes = 0;
  bool over = false;  // past the class's usageWarningPercent of the request
};

class ControllerObserver {
 public:
  virtual ~ControllerObserver() = default;

  // storage_class is the claim's (or PV's) class name, "" when it has none.
  virtual void provision_succeeded(std::string_view /*storage_class*/,
                                   std::chrono::nanoseconds /*took*/) {}
  // reason: a short CamelCase cause (a Refusal's reason, "NfsError", "ApiError").
  virtual void provision_failed(std::string_view /*storage_class*/,
                                std::chrono::nanoseconds /*took*/, std::string_view /*reason*/) {}
  virtual void delete_succeeded(std::string_view /*storage_class*/,
                                std::chrono::nanoseconds /*took*/) {}
  virtual void delete_failed(std::string_view /*storage_class*/, std::chrono::nanoseconds /*took*/,
                             std::string_view /*reason*/) {}

  // A directory a crash left for a claim that is gone was cleaned up: action "removed"
  // (empty) or "archived" (something was in it).
  virtual void orphan_cleaned(std::string_view /*storage_class*/, std::string_view /*action*/) {}

  // An archive older than its export's archiveRetention was removed (ArchiveExpirer).
  virtual void archive_expired(const nfs::ExportAddress& /*address*/) {}

  // A volume was measured; a volume no longer measured (its PV is gone or not Bound) is
  // forgotten.
  virtual void volume_usage(const VolumeUsageSample& /*sample*/) {}
  virtual void volume_usage_forgotten(std::string_view /*pv*/) {}
  // One pass over an export's volumes: their bytes in total, and what the walks cost.
  virtual void export_volumes_measured(const nfs::ExportAddress& /*address*/,
                                       std::uint64_t /*used_bytes*/, std::uint64_t /*nfs_calls*/,
                                       std::chrono::nanoseconds /*took*/) {}

  // The export's statvfs, refreshed at most every 30 s per export (ExportUsageCache).
  virtual void export_usage(const nfs::ExportAddress& /*address*/,
                            const nfs::ExportUsage& /*usage*/) {}

  // Keys waiting in the work queue, after each change a worker makes.
  virtual void queue_depth(std::size_t /*depth*/) {}
  // A key went back to the queue with back-off after a failure.
  virtual void queue_retry() {}

  // Cumulative informer counters, reported periodically; resource is the plural, e.g.
  // "persistentvolumeclaims".
  virtual void informer_stats(std::string_view /*resource*/, const kube::InformerStats& /*stats*/) {
  }
};

}  // namespace nfsprov::controller
