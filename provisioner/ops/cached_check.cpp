#include "provisioner/ops/cached_check.h"

#include <mutex>
#include <optional>
#include <utility>

namespace nfsprov::ops {

namespace {

struct CacheState {
  using Clock = std::chrono::steady_clock;
  ReadinessCheck probe;
  std::chrono::milliseconds max_age;
  std::mutex mutex;
  std::optional<CheckOutcome> last;
  Clock::time_point taken;
  bool running = false;
};

}  // namespace

ReadinessCheck cached_check(ReadinessCheck probe, std::chrono::milliseconds max_age) {
  auto state = std::make_shared<CacheState>();
  state->probe = std::move(probe);
  state->max_age = max_age;
  return [state]() -> CheckOutcome {
    {
      std::lock_guard lock(state->mutex);
      const bool fresh = state->last && CacheState::Clock::now() - state->taken <= state->max_age;
      if (fresh || (state->running && state->last)) return *state->last;
      state->running = true;
    }
    CheckOutcome outcome;
    try {
      outcome = state->probe();
    } catch (const std::exception& e) {
      outcome = CheckOutcome{false, std::string("check failed: ") + e.what()};
    }
    std::lock_guard lock(state->mutex);
    state->last = outcome;
    state->taken = CacheState::Clock::now();
    state->running = false;
    return outcome;
  };
}

}  // namespace nfsprov::ops
