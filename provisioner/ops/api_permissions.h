// `nfs-provisioner check` with a kubeconfig: may this identity do everything the provisioner
// does in the API? Asked with SelfSubjectAccessReviews (which every authenticated user may
// create), so the answer is the cluster's own RBAC judgement, before any claim is affected.
// The list is what deploy/rbac.yaml grants and no more (e2e tests compare that file with the
// audit log of a real provision, deletion and leader election).
#pragma once

#include <string>
#include <vector>

#include "provisioner/kube/api_client.h"
#include "provisioner/ops/export_check.h"

namespace nfsprov::ops {

struct Permission {
  std::string group;        // "" for the core group
  std::string resource;     // "persistentvolumes"
  std::string subresource;  // "status", or "" for the resource itself
  std::string verb;         // "update"
  std::string ns;           // "" = cluster-wide (or in every namespace)
  std::string why;          // what the provisioner does with it
};

// Everything the controller needs; with leader election also the Lease in lease_namespace.
std::vector<Permission> required_permissions(bool leader_election,
                                             const std::string& lease_namespace);

// One line per permission: PASS when allowed, FAIL with the rule to add when denied, FAIL
// naming the error when the review itself failed. Never throws for API trouble.
std::vector<CheckLine> check_permissions(kube::ApiClient& client,
                                         const std::vector<Permission>& permissions);

// "Checking API permissions (SelfSubjectAccessReview)", the lines with their fixes, a result.
std::string format_permission_check(const std::vector<CheckLine>& lines);

}  // namespace nfsprov::ops
