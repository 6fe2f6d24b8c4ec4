// Per-key exponential back-off, like client-go's ItemExponentialFailureRateLimiter:
// base delay doubling per failure up to a cap, until forget(key). Not thread-safe on its own
// (controller::WorkQueue calls it under its lock).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace nfsprov::core {

// The time source of the back-off and the work queue; tests inject a manual clock.
using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

inline SteadyClock real_steady_clock() {
  return [] { return std::chrono::steady_clock::now(); };
}

struct BackoffPolicy {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds cap{5 * 60 * 1000};
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy = {}, SteadyClock clock = real_steady_clock());

  // The delay before the next attempt of key: base * 2^(failures so far), at most cap.
  // Counts one more failure.
  std::chrono::milliseconds next_delay(std::string_view key);
  // clock() + next_delay(key).
  std::chrono::steady_clock::time_point next_attempt(std::string_view key);
  // Success (or giving up): the next failure starts again at base.
  void forget(std::string_view key);
  // Failures counted since the last forget.
  std::uint32_t failures(std::string_view key) const;

  const BackoffPolicy& policy() const { return policy_; }
  std::chrono::steady_clock::time_point now() const { return clock_(); }

 private:
  BackoffPolicy policy_;
  SteadyClock clock_;
  std::map<std::string, std::uint32_t, std::less<>> failures_;
};

}  // namespace nfsprov::core
