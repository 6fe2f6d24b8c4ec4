#include "provisioner/ops/forbidden_tracker.h"

namespace nfsprov::ops {

std::string missing_permission(const std::string& message) {
  const auto at = message.find("cannot ");
  return at == std::string::npos ? message : message.substr(at);
}

ForbiddenTracker::ForbiddenTracker(log::Logger& logger, ProvisionerMetrics& metrics,
                                   std::chrono::seconds window)
    : logger_(logger), metrics_(metrics), window_(window) {}

void ForbiddenTracker::record(const kube::ApiError& forbidden) {
  const std::string permission = missing_permission(forbidden.what());
  metrics_.api_forbidden();
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    last_ = Clock::now();
    last_permission_ = permission;
    first = reported_.insert(permission).second;
  }
  if (first)
    logger_.error(
        "forbidden by the API server's RBAC: grant this in the ServiceAccount's Role "
        "or ClusterRole (deploy/rbac.yaml has every rule nfs-provisioner needs)",
        {{"missing", permission}, {"answer", forbidden.what()}});
}

CheckOutcome ForbiddenTracker::readiness() const {
  std::lock_guard lock(mutex_);
  if (last_ && Clock::now() - *last_ < window_)
    return {false, "forbidden within the last " + std::to_string(window_.count()) +
                       " s: " + last_permission_};
  return {true, "no 403 answers"};
}

}  // namespace nfsprov::ops
