// LeaseFence: when a leader may still act. Judged at given instants, so no test sleeps.
#include <catch2/catch.hpp>

#include "provisioner/controller/lease_fence.h"

using nfsprov::controller::LeaseFence;
using namespace std::chrono_literals;

TEST_CASE("without leader election the fence is always open") {
  LeaseFence fence;
  CHECK(fence.open());
  fence.revoke();  // nothing to revoke: one process acts alone
  CHECK(fence.open());
}

TEST_CASE("the fence opens at a Lease write and closes the renew deadline after it was sent") {
  LeaseFence fence(10s);
  const auto t0 = LeaseFence::Clock::now();
  CHECK_FALSE(fence.open_at(t0));  // not leading yet
  fence.renewed(t0);
  CHECK(fence.open_at(t0));
  CHECK(fence.open_at(t0 + 9999ms));
  // A process frozen past this point wakes up closed, whatever its elector thread believes.
  CHECK_FALSE(fence.open_at(t0 + 10s));
  CHECK_FALSE(fence.open_at(t0 + 1h));
  fence.renewed(t0 + 2s);
  CHECK(fence.open_at(t0 + 11s));
  CHECK_FALSE(fence.open_at(t0 + 12s));
}

TEST_CASE("a late reply to an older write never shortens the term") {
  LeaseFence fence(10s);
  const auto t0 = LeaseFence::Clock::now();
  fence.renewed(t0 + 4s);
  fence.renewed(t0 + 2s);
  CHECK(fence.open_at(t0 + 13s));
}

TEST_CASE("revoke closes the fence at once, until the next write") {
  LeaseFence fence(10s);
  const auto t0 = LeaseFence::Clock::now();
  fence.renewed(t0);
  fence.revoke();
  CHECK_FALSE(fence.open_at(t0 + 1ms));
  fence.renewed(t0 + 5s);
  CHECK(fence.open_at(t0 + 6s));
}
