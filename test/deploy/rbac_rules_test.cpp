// The RBAC evaluator that checks deploy/rbac.yaml: Kubernetes' matching rules, binding
// resolution and the "granted but never used" report.
#include <catch2/catch.hpp>

#include "test/deploy/rbac_rules.h"

using nfsprov::deploytest::ApiRequest;
using nfsprov::deploytest::grants_allow;
using nfsprov::deploytest::grants_for_service_account;
using nfsprov::deploytest::PolicyRule;
using nfsprov::deploytest::rule_allows;
using nfsprov::deploytest::unused_permissions;

namespace {

std::vector<YAML::Node> docs(const std::string& text) {
  return YAML::LoadAll(text);
}

const char* kRbac = R"(
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: runner}
rules:
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["get", "create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: run}
subjects: [{kind: ServiceAccount, name: prov, namespace: sys}]
roleRef: {kind: ClusterRole, name: runner, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: lease, namespace: sys}
rules:
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["get", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: lease, namespace: sys}
subjects: [{kind: ServiceAccount, name: prov}]
roleRef: {kind: Role, name: lease, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: someone-else}
subjects: [{kind: ServiceAccount, name: other, namespace: sys}]
roleRef: {kind: ClusterRole, name: admin, apiGroup: rbac.authorization.k8s.io}
)";

}  // namespace

TEST_CASE("a rule allows only its verbs, groups and resources") {
  PolicyRule rule{{""}, {"persistentvolumes"}, {"get", "list"}, {}};
  CHECK(rule_allows(rule, {"get", "", "persistentvolumes", "", "", "pv-1"}));
  CHECK(rule_allows(rule, {"list", "", "persistentvolumes", "", "", ""}));
  CHECK_FALSE(rule_allows(rule, {"delete", "", "persistentvolumes", "", "", "pv-1"}));
  CHECK_FALSE(rule_allows(rule, {"get", "storage.k8s.io", "persistentvolumes", "", "", ""}));
  CHECK_FALSE(rule_allows(rule, {"get", "", "persistentvolumeclaims", "", "ns", "c"}));
}

TEST_CASE("a resource does not cover its subresources unless named") {
  PolicyRule plain{{""}, {"persistentvolumes"}, {"update"}, {}};
  PolicyRule status{{""}, {"persistentvolumes/status"}, {"update"}, {}};
  PolicyRule any_status{{""}, {"*/status"}, {"update"}, {}};
  ApiRequest request{"update", "", "persistentvolumes", "status", "", "pv-1"};
  CHECK_FALSE(rule_allows(plain, request));
  CHECK(rule_allows(status, request));
  CHECK(rule_allows(any_status, request));
}

TEST_CASE("wildcards and resourceNames") {
  PolicyRule star{{"*"}, {"*"}, {"*"}, {}};
  CHECK(rule_allows(star, {"patch", "apps", "deployments", "scale", "ns", "d"}));
  PolicyRule named{{"coordination.k8s.io"}, {"leases"}, {"get"}, {"my-lease"}};
  CHECK(rule_allows(named, {"get", "coordination.k8s.io", "leases", "", "ns", "my-lease"}));
  CHECK_FALSE(rule_allows(named, {"get", "coordination.k8s.io", "leases", "", "ns", "other"}));
}

TEST_CASE("bindings give cluster-wide and namespaced grants to the service account only") {
  auto grants = grants_for_service_account(docs(kRbac), "sys", "prov");
  REQUIRE(grants.size() == 2);
  CHECK(grants_allow(grants, {"create", "", "persistentvolumes", "", "", "pv-1"}));
  CHECK(grants_allow(grants, {"update", "coordination.k8s.io", "leases", "", "sys", "l"}));
  // The Role's lease permission holds in its own namespace only.
  CHECK_FALSE(grants_allow(grants, {"update", "coordination.k8s.io", "leases", "", "other", "l"}));
  CHECK_FALSE(grants_allow(grants, {"delete", "", "persistentvolumes", "", "", "pv-1"}));
  // Another account's binding (to a role not even defined here) is ignored.
  CHECK(grants_for_service_account(docs(kRbac), "sys", "nobody").empty());
  CHECK(grants_for_service_account(docs(kRbac), "elsewhere", "prov").empty());
}

TEST_CASE("a binding to a missing role is an error") {
  const char* text = R"(
kind: ClusterRoleBinding
metadata: {name: b}
subjects: [{kind: ServiceAccount, name: prov, namespace: sys}]
roleRef: {kind: ClusterRole, name: missing}
)";
  CHECK_THROWS_WITH(grants_for_service_account(docs(text), "sys", "prov"),
                    Catch::Contains("ClusterRole/missing"));
}

TEST_CASE("permissions never used are reported, used ones are not") {
  auto grants = grants_for_service_account(docs(kRbac), "sys", "prov");
  std::vector<ApiRequest> used{{"get", "", "persistentvolumes", "", "", "pv-1"},
                               {"get", "coordination.k8s.io", "leases", "", "sys", "l"},
                               // an update in another namespace does not use the Role
                               {"update", "coordination.k8s.io", "leases", "", "x", "l"}};
  auto unused = unused_permissions(grants, used);
  REQUIRE(unused.size() == 2);
  CHECK_THAT(unused[0], Catch::StartsWith("create persistentvolumes (ClusterRole/runner"));
  CHECK_THAT(unused[1], Catch::StartsWith("update leases.coordination.k8s.io (Role/lease"));
}
