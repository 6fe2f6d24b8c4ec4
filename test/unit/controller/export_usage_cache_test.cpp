// ExportUsageCache: one statvfs per export at a time, and nobody judged on nothing while the
// first is under way.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <sstream>

#include "provisioner/controller/export_usage_cache.h"

using namespace nfsprov;

namespace {

nfs::ExportAddress address() {
  nfs::ExportAddress a;
  a.server = "127.0.0.1";
  a.export_path = "/export";
  return a;
}

}  // namespace

TEST_CASE("usage cache: a caller that finds the first fetch under way waits for its value") {
  controller::ControllerObserver observer;
  std::ostringstream log_text;
  log::Logger logger(log_text, log::Level::warning);
  controller::ExportUsageCache cache(observer, logger);

  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> fetches{0};
  std::promise<void> fetching;
  const auto slow_fetch = [&] {
    ++fetches;
    fetching.set_value();
    released.wait();
    nfs::ExportUsage usage;
    usage.total_bytes = 1000;
    usage.available_bytes = 10;
    return usage;
  };
  auto first = std::async(std::launch::async, [&] { return cache.get(address(), slow_fetch); });
  fetching.get_future().wait();  // the first fetch is under way, and blocked
  auto second = std::async(std::launch::async, [&] {
    return cache.get(address(), [&]() -> nfs::ExportUsage {
      ++fetches;  // never: one fetch at a time
      return {};
    });
  });
  // The second caller must not come back with nothing while the first fetch is blocked.
  CHECK(second.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
  release.set_value();
  const auto got = second.get();
  REQUIRE(got);
  CHECK(got->available_bytes == 10);
  CHECK(first.get()->total_bytes == 1000);
  CHECK(fetches == 1);
  // Fresh now: taken from the cache.
  CHECK(cache
            .get(address(),
                 [&]() -> nfs::ExportUsage {
                   ++fetches;
                   return {};
                 })
            ->available_bytes == 10);
  CHECK(fetches == 1);
}
