#include <catch2/catch.hpp>

#include <sstream>

#include "provisioner/ops/forbidden_tracker.h"
#include "provisioner/ops/metrics.h"

using namespace nfsprov;

namespace {

kube::ApiError forbidden(const std::string& message) {
  return kube::ApiError(kube::ApiErrorKind::forbidden, 403, "Forbidden", message);
}

}  // namespace

TEST_CASE("the missing permission is the part of a 403 message from 'cannot' on") {
  CHECK(ops::missing_permission(
            "GET /x: 403 Forbidden: leases.coordination.k8s.io \"a\" is forbidden: User \"u\" "
            "cannot get resource \"leases\" in API group \"coordination.k8s.io\" in the "
            "namespace \"default\"") ==
        "cannot get resource \"leases\" in API group \"coordination.k8s.io\" in the namespace "
        "\"default\"");
  CHECK(ops::missing_permission("no such part") == "no such part");
}

TEST_CASE("each missing permission is logged once, every 403 counted, readiness fails meanwhile") {
  std::ostringstream out;
  log::Logger logger(out, log::Level::info);
  ops::MetricsRegistry registry;
  ops::ProvisionerMetrics metrics(registry, "test");
  ops::ForbiddenTracker tracker(logger, metrics, std::chrono::seconds(60));
  CHECK(tracker.readiness().ok);

  for (const char* name : {"pvc-a", "pvc-b", "pvc-c"})
    tracker.record(forbidden(std::string("persistentvolumes \"") + name +
                             "\" is forbidden: User \"u\" cannot update resource "
                             "\"persistentvolumes\" in API group \"\" at the cluster scope"));
  tracker.record(
      forbidden("User \"u\" cannot get resource \"leases\" in API group "
                "\"coordination.k8s.io\""));
  const std::string log = out.str();
  std::size_t lines = 0;
  for (auto at = log.find("forbidden by the API server's RBAC"); at != std::string::npos;
       at = log.find("forbidden by the API server's RBAC", at + 1))
    ++lines;
  CHECK(lines == 2);  // one per permission, not one per object
  CHECK_FALSE(tracker.readiness().ok);
  CHECK_THAT(tracker.readiness().detail, Catch::Contains("leases"));
  CHECK_THAT(registry.render(), Catch::Contains("nfs_provisioner_api_forbidden_total 4"));

  ops::ForbiddenTracker quick(logger, metrics, std::chrono::seconds(0));
  quick.record(forbidden("cannot list resource \"x\""));
  CHECK(quick.readiness().ok);  // the window has passed at once
}
