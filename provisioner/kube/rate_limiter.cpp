#include "provisioner/kube/rate_limiter.h"

#include <algorithm>
#include <utility>

#include "provisioner/base/sleep.h"

namespace nfsprov::kube {

RateLimiter::RateLimiter(double qps, int burst, Clock clock)
    : qps_(qps),
      burst_(std::max(1, burst)),
      clock_(std::move(clock)),
      tokens_(burst_),
      last_(clock_()) {}

std::chrono::nanoseconds RateLimiter::reserve() {
  if (qps_ <= 0) return std::chrono::nanoseconds::zero();
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  const std::chrono::duration<double> elapsed = now - last_;
  if (elapsed.count() > 0) {
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * qps_);
    last_ = now;
  }
  // Tokens may go negative: each waiting caller owns a later slot, so waits queue up.
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::nanoseconds::zero();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(-tokens_ / qps_));
}

bool RateLimiter::acquire(std::stop_token stop) {
  const auto wait = reserve();
  if (wait > std::chrono::nanoseconds::zero()) return base::sleep_for(std::move(stop), wait);
  return !stop.stop_requested();
}

}  // namespace nfsprov::kube
