// ForbiddenTracker: every 403 the API answers. The permission it names is logged once (the
// server's message says which verb on which resource the RBAC rules lack), every one is
// counted, and readiness fails while they keep coming: a provisioner swapped in under an
// older RBAC (nfs-subdir's grants leader election on Endpoints and no PV update) must fail
// loudly, not report Ready while nothing works.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "provisioner/kube/api_error.h"
#include "provisioner/log/log.h"
#include "provisioner/ops/health_server.h"
#include "provisioner/ops/provisioner_metrics.h"

namespace nfsprov::ops {

// The part of a 403 message that names the missing permission: from "cannot " on
// ('cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "x"'),
// the object's name left out; the whole message when it has no such part. Pure.
std::string missing_permission(const std::string& message);

class ForbiddenTracker {
 public:
  using Clock = std::chrono::steady_clock;
  // logger and metrics must outlive the tracker.
  ForbiddenTracker(log::Logger& logger, ProvisionerMetrics& metrics,
                   std::chrono::seconds window = std::chrono::seconds(30));

  // Thread-safe: every client's on_forbidden.
  void record(const kube::ApiError& forbidden);
  // Not ready while the last 403 is younger than the window.
  CheckOutcome readiness() const;

 private:
  log::Logger& logger_;
  ProvisionerMetrics& metrics_;
  std::chrono::seconds window_;
  mutable std::mutex mutex_;
  std::set<std::string> reported_;
  std::optional<Clock::time_point> last_;
  std::string last_permission_;
};

}  // namespace nfsprov::ops
