// A sleep that a stop request ends at once: every loop of the provisioner that waits between
// passes (informer retries, Lease attempts, sweeps, usage refreshes) sleeps with this.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace nfsprov::base {

// Sleeps for d unless stop is requested first. True when the whole time passed (no stop).
template <class Rep, class Period>
bool sleep_for(std::stop_token stop, std::chrono::duration<Rep, Period> d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace nfsprov::base
