// Kubernetes RBAC as the API server evaluates it, for checking deploy/rbac.yaml against the
// requests the provisioner really makes. Pure: objects in, answers out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace nfsprov::deploytest {

// One API request, as the test API server's audit log records it.
struct ApiRequest {
  std::string verb;  // get list watch create update patch delete ...
  std::string api_group;
  std::string resource;
  std::string subresource;
  std::string namespace_;  // "" for cluster-scoped resources and all-namespace list/watch
  std::string name;

  std::string describe() const;  // "create leases.coordination.k8s.io in ns/x"
};

struct PolicyRule {
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;  // "pods", "pods/status", "*", "*/status"
  std::vector<std::string> verbs;
  std::vector<std::string> resource_names;  // empty: any name
};

// The rules one binding gives the subject, and where they apply.
struct Grant {
  std::string source;                     // "ClusterRole/x via ClusterRoleBinding/y"
  std::optional<std::string> namespace_;  // nullopt: every namespace and cluster scope
  std::vector<PolicyRule> rules;
};

bool rule_allows(const PolicyRule& rule, const ApiRequest& request);
bool grants_allow(const std::vector<Grant>& grants, const ApiRequest& request);

// The grants that bindings among docs give to ServiceAccount sa_namespace/sa_name, with the
// roles they reference resolved among the same docs. Throws std::runtime_error when a
// binding references a role that is not there.
std::vector<Grant> grants_for_service_account(const std::vector<YAML::Node>& docs,
                                              const std::string& sa_namespace,
                                              const std::string& sa_name);

// Every (group, resource, verb) a grant names that none of the requests used, as
// "patch events" (group suffix when not core). Wildcards are reported as they are written.
std::vector<std::string> unused_permissions(const std::vector<Grant>& grants,
                                            const std::vector<ApiRequest>& requests);

}  // namespace nfsprov::deploytest
