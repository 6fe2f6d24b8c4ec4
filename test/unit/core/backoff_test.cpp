#include <catch2/catch.hpp>
#include <chrono>
#include <vector>

#include "provisioner/core/backoff.h"

using namespace nfsprov::core;
using namespace std::chrono_literals;

TEST_CASE("backoff: doubles from the base to the cap, forget resets", "[backoff]") {
  // A clock that moves only when the test says so (one thread: a plain time point will do).
  std::chrono::steady_clock::time_point now{};
  const SteadyClock clock = [&now] { return now; };
  Backoff backoff({1000ms, 5min}, clock);
  std::vector<long long> delays;
  for (int i = 0; i < 12; ++i) delays.push_back(backoff.next_delay("ns/a").count());
  CHECK(delays == std::vector<long long>{1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000,
                                         256000, 300000, 300000, 300000});
  CHECK(backoff.failures("ns/a") == 12);
  CHECK(backoff.next_delay("ns/b") == 1000ms);  // per key
  backoff.forget("ns/a");
  CHECK(backoff.failures("ns/a") == 0);
  CHECK(backoff.next_delay("ns/a") == 1000ms);
  now += 10s;
  CHECK(backoff.next_attempt("ns/a") - now == 2000ms);
  Backoff custom({5ms, 20ms}, clock);
  for (int i = 0; i < 100000; ++i) custom.next_delay("k");  // no overflow, stays at the cap
  CHECK(custom.next_delay("k") == 20ms);
}
