// A sleep that a stop request ends (provisioner/base/sleep.h).
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "provisioner/base/sleep.h"

using namespace nfsprov::base;

TEST_CASE("sleep_for sleeps its time, or ends at once when stop is requested") {
  using namespace std::chrono;
  std::stop_source idle;
  auto start = steady_clock::now();
  CHECK(sleep_for(idle.get_token(), 20ms));
  CHECK(steady_clock::now() - start >= 20ms);

  std::stop_source stopped;
  stopped.request_stop();
  start = steady_clock::now();
  CHECK_FALSE(sleep_for(stopped.get_token(), 60s));
  CHECK(steady_clock::now() - start < 30s);

  std::stop_source later;
  std::jthread stopper([&later] {
    std::this_thread::sleep_for(10ms);
    later.request_stop();
  });
  start = steady_clock::now();
  CHECK_FALSE(sleep_for(later.get_token(), 60s));
  CHECK(steady_clock::now() - start < 30s);
}
