// A readiness check that runs its (possibly slow) probe at most once per max_age, so a
// kubelet polling /readyz every few seconds does not turn into NFS traffic, and a server that
// hangs blocks at most one request: others get the last answer while a probe runs.
#pragma once

#include <chrono>
#include <memory>

#include "provisioner/ops/health_server.h"

namespace nfsprov::ops {

// The returned check shares state between its copies. The first call runs the probe; later
// calls rerun it when the last result is older than max_age, unless another call is already
// running it (then they return the previous result at once).
ReadinessCheck cached_check(ReadinessCheck probe, std::chrono::milliseconds max_age);

}  // namespace nfsprov::ops
