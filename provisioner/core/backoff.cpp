#include "provisioner/core/backoff.h"

namespace nfsprov::core {

Backoff::Backoff(BackoffPolicy policy, SteadyClock clock)
    : policy_(policy), clock_(std::move(clock)) {}

std::chrono::milliseconds Backoff::next_delay(std::string_view key) {
  auto it = failures_.find(key);
  if (it == failures_.end()) it = failures_.emplace(std::string(key), 0).first;
  std::uint32_t failures = it->second;
  if (it->second < UINT32_MAX) ++it->second;

  // Doubling stops at the cap, so a key failing for days costs a few iterations at most.
  std::chrono::milliseconds delay = policy_.base;
  for (std::uint32_t i = 0; i < failures && delay < policy_.cap && delay.count() > 0; ++i) {
    delay *= 2;
  }
  return std::min(delay, policy_.cap);
}

std::chrono::steady_clock::time_point Backoff::next_attempt(std::string_view key) {
  return clock_() + next_delay(key);
}

void Backoff::forget(std::string_view key) {
  auto it = failures_.find(key);
  if (it != failures_.end()) failures_.erase(it);
}

std::uint32_t Backoff::failures(std::string_view key) const {
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

}  // namespace nfsprov::core
