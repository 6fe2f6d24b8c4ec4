#include "provisioner/controller/lease_fence.h"

#include <limits>

namespace nfsprov::controller {

LeaseFence::LeaseFence(std::chrono::milliseconds valid_for)
    : elected_(true), valid_for_(valid_for) {}

void LeaseFence::renewed(Clock::time_point write_started) {
  const auto until = (write_started + valid_for_).time_since_epoch().count();
  // Never moves back: a slow reply to an older write must not shorten a newer one's term.
  for (auto was = valid_until_.load();
       was < until && !valid_until_.compare_exchange_weak(was, until);) {
  }
}

void LeaseFence::revoke() {
  valid_until_ = std::numeric_limits<Clock::rep>::min();
}

bool LeaseFence::open_at(Clock::time_point now) const {
  return !elected_ || now.time_since_epoch().count() < valid_until_.load();
}

}  // namespace nfsprov::controller
