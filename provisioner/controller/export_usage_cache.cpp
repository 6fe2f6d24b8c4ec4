#include "provisioner/controller/export_usage_cache.h"

namespace nfsprov::controller {

ExportUsageCache::ExportUsageCache(ControllerObserver& observer, log::Logger& logger,
                                   Clock::duration max_age)
    : observer_(observer), logger_(logger), max_age_(max_age) {}

std::optional<nfs::ExportUsage> ExportUsageCache::get(
    const nfs::ExportAddress& address, const std::function<nfs::ExportUsage()>& fetch) {
  const std::string key = address.key();
  {
    std::unique_lock lock(mutex_);
    Entry* entry = &entries_[key];
    if (!entry->usage && entry->fetching) {
      // The first value is on its way (map nodes never move; entries are never erased).
      fetched_.wait(lock, [entry] { return !entry->fetching; });
      return entry->usage;
    }
    const bool fresh = entry->usage && Clock::now() - entry->fetched < max_age_;
    if (fresh || entry->fetching) return entry->usage;
    entry->fetching = true;
  }
  // Outside the lock: a slow export must not hold up claims of the others.
  std::optional<nfs::ExportUsage> usage;
  try {
    usage = fetch();
  } catch (const std::exception& e) {
    logger_.warn("export usage unknown", {{"export", address.display()}, {"error", e.what()}});
  }
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[key];
  entry.fetching = false;
  fetched_.notify_all();
  // A failure waits max_age too: an export that does not answer is not asked once per claim.
  entry.fetched = Clock::now();
  if (!usage) return entry.usage;
  entry.usage = usage;
  observer_.export_usage(address, *usage);
  return usage;
}

}  // namespace nfsprov::controller
