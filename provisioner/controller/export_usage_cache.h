// The free and total bytes of each export (statvfs through libnfs), kept for a while: a claim
// of a capacity-aware class needs them, and a burst of 1000 claims must not cost 1000 statvfs
// calls. A value is asked for again only once it is older than max_age; the controller also
// refreshes every export of ours on that schedule, so the metrics move without claims.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "nfs/export_client.h"
#include "nfs/values/export_address.h"
#include "provisioner/controller/controller_observer.h"
#include "provisioner/log/log.h"

namespace nfsprov::controller {

class ExportUsageCache {
 public:
  using Clock = std::chrono::steady_clock;
  // observer and logger must outlive the cache.
  ExportUsageCache(ControllerObserver& observer, log::Logger& logger,
                   Clock::duration max_age = std::chrono::seconds(30));

  // The export's usage, from fetch() when the cached one is older than max_age (or absent);
  // the older value (or nullopt) when fetch throws, which is logged, never thrown. Each fresh
  // value goes to the observer. One fetch per export at a time: others take the cached value,
  // or, when there is none yet, wait for that fetch (a claim of a refusing class must not be
  // judged on nothing because the first statvfs was under way elsewhere).
  std::optional<nfs::ExportUsage> get(const nfs::ExportAddress& address,
                                      const std::function<nfs::ExportUsage()>& fetch);

 private:
  struct Entry {
    std::optional<nfs::ExportUsage> usage;
    Clock::time_point fetched{};
    bool fetching = false;
  };
  ControllerObserver& observer_;
  log::Logger& logger_;
  Clock::duration max_age_;
  std::mutex mutex_;
  std::condition_variable fetched_;       // a fetch ended
  std::map<std::string, Entry> entries_;  // by ExportAddress::key()
};

}  // namespace nfsprov::controller
