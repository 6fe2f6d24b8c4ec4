// Client-side token bucket (qps, burst) so one provisioner cannot flood the API server.
// The clock is injected so the arithmetic is unit-tested without sleeping.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <stop_token>

namespace nfsprov::kube {

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // qps <= 0 disables the limit.
  RateLimiter(
      double qps, int burst, Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Takes one token now and returns how long the caller must wait before using it
  // (zero while the bucket holds tokens). Waits of concurrent callers queue up fairly.
  std::chrono::nanoseconds reserve();
  // reserve(), then sleep for the wait, unless stop is requested first: false then.
  bool acquire(std::stop_token stop = {});

 private:
  double qps_;
  double burst_;
  Clock clock_;
  std::mutex mutex_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace nfsprov::kube
