// ElectionClock: the time a LeaseElector campaigns by. The real one is the process's clocks;
// the unit tests give a manual one (test/fakes/manual_clock.h), so a lease's expiry, a renew
// deadline or a split brain plays out in milliseconds and in an order the test decides.
#pragma once

#include <chrono>
#include <stop_token>

#include "provisioner/base/sleep.h"

namespace nfsprov::controller {

class ElectionClock {
 public:
  virtual ~ElectionClock() = default;

  // Monotonic: when a Lease was seen to change, the renew deadline, the fence's term.
  virtual std::chrono::steady_clock::time_point now() = 0;
  // The wall clock: the Lease's acquireTime and renewTime, which no replica judges by.
  virtual std::chrono::system_clock::time_point wall_now() = 0;
  // Waits d unless stop is requested first; true when the whole time passed.
  virtual bool sleep_for(std::stop_token stop, std::chrono::milliseconds d) = 0;

 protected:
  ElectionClock() = default;
  ElectionClock(const ElectionClock&) = default;
  ElectionClock& operator=(const ElectionClock&) = default;
};

class SystemElectionClock final : public ElectionClock {
 public:
  std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall_now() override {
    return std::chrono::system_clock::now();
  }
  bool sleep_for(std::stop_token stop, std::chrono::milliseconds d) override {
    return base::sleep_for(std::move(stop), d);
  }
};

}  // namespace nfsprov::controller
