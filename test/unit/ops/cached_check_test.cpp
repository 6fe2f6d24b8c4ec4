#include "provisioner/ops/cached_check.h"

#include <catch2/catch.hpp>
#include <future>
#include <stdexcept>
#include <thread>

using namespace nfsprov::ops;
using namespace std::chrono_literals;

TEST_CASE("a fresh result is reused instead of probing again", "[cached_check]") {
  int probes = 0;
  auto check = cached_check(
      [&] {
        ++probes;
        return CheckOutcome{true, "probe " + std::to_string(probes)};
      },
      1h);
  CHECK(check().detail == "probe 1");
  auto copy = check;  // copies share the cache
  CHECK(copy().detail == "probe 1");
  CHECK(probes == 1);
}

TEST_CASE("an old result is probed again", "[cached_check]") {
  int probes = 0;
  auto check = cached_check([&] { return CheckOutcome{++probes % 2 == 1, ""}; }, 1ms);
  CHECK(check().ok);
  std::this_thread::sleep_for(5ms);  // only ages the result past max_age
  CHECK_FALSE(check().ok);
  CHECK(probes == 2);
}

TEST_CASE("a throwing probe is a failed check", "[cached_check]") {
  auto check = cached_check([]() -> CheckOutcome { throw std::runtime_error("boom"); }, 1h);
  const auto outcome = check();
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.detail == "check failed: boom");
}

TEST_CASE("while a probe hangs, other callers get the previous result at once", "[cached_check]") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  int probes = 0;
  auto check = cached_check(
      [&] {
        if (++probes == 2) {
          entered.set_value();
          released.wait();
          return CheckOutcome{false, "second"};
        }
        return CheckOutcome{true, "first"};
      },
      0ms);
  CHECK(check().detail == "first");
  std::this_thread::sleep_for(2ms);  // only ages the result past max_age
  auto slow = std::async(std::launch::async, [&] { return check(); });
  entered.get_future().wait();
  const auto meanwhile = check();  // would deadlock here if it waited for the slow probe
  CHECK(meanwhile.detail == "first");
  release.set_value();
  CHECK(slow.get().detail == "second");
  CHECK(probes == 2);
}
