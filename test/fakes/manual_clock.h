// ManualClock: a controller::ElectionClock whose time moves only when the test says so.
// sleep_for blocks until the test has advanced the clock past its end (or stop is requested);
// wait_for_sleepers tells the test when every elector has finished its step and sleeps again,
// so each advance is followed by a settled state the test can assert on, without real sleeps.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>
#include <stop_token>

#include "provisioner/controller/election_clock.h"

namespace nfsprov::fakes {

class ManualClock final : public controller::ElectionClock {
 public:
  std::chrono::steady_clock::time_point now() override;
  std::chrono::system_clock::time_point wall_now() override;
  bool sleep_for(std::stop_token stop, std::chrono::milliseconds d) override;

  void advance(std::chrono::milliseconds d);
  // Blocks until exactly n threads sleep with an end still ahead of now (the ones an advance
  // woke count again once they sleep anew); false when `limit` of real time passes first.
  bool wait_for_sleepers(std::size_t n,
                         std::chrono::milliseconds limit = std::chrono::seconds(10)) const;

 private:
  std::size_t sleepers_ahead() const;  // under mutex_

  // An arbitrary origin: no test may depend on the real clocks.
  const std::chrono::steady_clock::time_point start_{std::chrono::hours(1000)};
  mutable std::mutex mutex_;
  mutable std::condition_variable_any changed_;
  std::chrono::milliseconds elapsed_{0};
  std::multiset<std::chrono::milliseconds> sleeping_until_;
};

}  // namespace nfsprov::fakes
