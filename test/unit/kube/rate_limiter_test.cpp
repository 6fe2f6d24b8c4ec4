// The client-side token bucket (provisioner/kube/rate_limiter.h).
#include <catch2/catch.hpp>

#include "provisioner/kube/api_client.h"
#include "provisioner/kube/rate_limiter.h"

using namespace nfsprov::kube;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  auto fn() {
    return [this] { return now; };
  }
};

}  // namespace

TEST_CASE("token bucket: a burst passes at once, then callers wait 1/qps each") {
  FakeClock clock;
  RateLimiter limiter(10, 3, clock.fn());
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 100ms);
  CHECK(limiter.reserve() == 200ms);  // waits queue up behind each other
  clock.now += 1s;                    // refills 10 tokens, capped at the burst of 3
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 100ms);
}

TEST_CASE("token bucket defaults let a thousand claims' calls through without waiting long") {
  FakeClock clock;
  ClientOptions defaults;
  RateLimiter limiter(defaults.qps, defaults.burst, clock.fn());
  std::chrono::nanoseconds last{};
  for (int i = 0; i < 1000; ++i) last = limiter.reserve();
  // 400 at once, the other 600 at 200/s: the thousandth call goes out after 3 s.
  CHECK(last == 3s);
}

TEST_CASE("a qps of zero disables the limit") {
  RateLimiter limiter(0, 1);
  for (int i = 0; i < 100; ++i) REQUIRE(limiter.reserve() == 0ns);
}
