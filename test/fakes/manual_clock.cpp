#include "test/fakes/manual_clock.h"

#include <algorithm>

namespace nfsprov::fakes {

std::chrono::steady_clock::time_point ManualClock::now() {
  std::lock_guard lock(mutex_);
  return start_ + elapsed_;
}

std::chrono::system_clock::time_point ManualClock::wall_now() {
  std::lock_guard lock(mutex_);
  return std::chrono::system_clock::time_point(std::chrono::hours(500'000)) + elapsed_;
}

bool ManualClock::sleep_for(std::stop_token stop, std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  const auto until = elapsed_ + d;
  const auto slot = sleeping_until_.insert(until);
  changed_.notify_all();
  changed_.wait(lock, stop, [&] { return elapsed_ >= until; });
  sleeping_until_.erase(slot);
  changed_.notify_all();
  return !stop.stop_requested();
}

void ManualClock::advance(std::chrono::milliseconds d) {
  {
    std::lock_guard lock(mutex_);
    elapsed_ += d;
  }
  changed_.notify_all();
}

std::size_t ManualClock::sleepers_ahead() const {
  return static_cast<std::size_t>(std::count_if(sleeping_until_.begin(), sleeping_until_.end(),
                                                [&](auto until) { return until > elapsed_; }));
}

bool ManualClock::wait_for_sleepers(std::size_t n, std::chrono::milliseconds limit) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, limit, [&] { return sleepers_ahead() == n; });
}

}  // namespace nfsprov::fakes
