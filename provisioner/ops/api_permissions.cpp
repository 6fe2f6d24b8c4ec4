#include "provisioner/ops/api_permissions.h"

#include <nlohmann/json.hpp>

#include "provisioner/kube/api_error.h"

namespace nfsprov::ops {

namespace {

constexpr kube::Resource kSelfSubjectAccessReviews{"/apis/authorization.k8s.io/v1",
                                                   "selfsubjectaccessreviews", false};

// "persistentvolumeclaims/status" as RBAC rules name a subresource.
std::string resource_path(const Permission& p) {
  return p.subresource.empty() ? p.resource : p.resource + "/" + p.subresource;
}

std::string qualified(const Permission& p) {
  return p.group.empty() ? resource_path(p) : resource_path(p) + "." + p.group;
}

std::string name_of(const Permission& p) {
  std::string name = p.verb + " " + qualified(p);
  if (!p.ns.empty()) name += " in namespace " + p.ns;
  return name;
}

// The rule to add, in deploy/rbac.yaml's words.
std::string fix_for(const Permission& p) {
  const std::string rule = "{apiGroups: [\"" + p.group + "\"], resources: [\"" + resource_path(p) +
                           "\"], verbs: [\"" + p.verb + "\"]}";
  if (p.ns.empty())
    return "add " + rule +
           " to the ClusterRole bound to this ServiceAccount "
           "(nfs-provisioner-runner in deploy/rbac.yaml)";
  return "add " + rule + " to a Role in namespace " + p.ns +
         " bound to this ServiceAccount (leader-locking-nfs-provisioner in deploy/rbac.yaml)";
}

}  // namespace

std::vector<Permission> required_permissions(bool leader_election,
                                             const std::string& lease_namespace) {
  std::vector<Permission> needed;
  const auto add = [&](const char* group, const char* resource,
                       std::initializer_list<const char*> verbs, const char* why,
                       const std::string& ns = {}, const char* subresource = "") {
    for (const char* verb : verbs) needed.push_back({group, resource, subresource, verb, ns, why});
  };
  add("", "persistentvolumes", {"get", "list", "watch", "create", "update", "patch", "delete"},
      "volumes it provisions, grows, and drops its finalizer from and deletes");
  add("", "persistentvolumeclaims", {"list", "watch"}, "the claims it provisions for");
  add("", "persistentvolumeclaims", {"patch"}, "the capacity of a claim it grew", {}, "status");
  add("storage.k8s.io", "storageclasses", {"list", "watch"}, "the classes naming it");
  add("", "events", {"create", "patch"}, "Provisioning* events on claims and volumes");
  if (leader_election)
    add("coordination.k8s.io", "leases", {"get", "create", "update"}, "leader election",
        lease_namespace);
  return needed;
}

std::vector<CheckLine> check_permissions(kube::ApiClient& client,
                                         const std::vector<Permission>& permissions) {
  std::vector<CheckLine> lines;
  for (const auto& p : permissions) {
    CheckLine line;
    line.name = name_of(p);
    nlohmann::json attributes{{"group", p.group}, {"resource", p.resource}, {"verb", p.verb}};
    if (!p.subresource.empty()) attributes["subresource"] = p.subresource;
    if (!p.ns.empty()) attributes["namespace"] = p.ns;
    try {
      const nlohmann::json review = client.create(kSelfSubjectAccessReviews, {},
                                                  {{"apiVersion", "authorization.k8s.io/v1"},
                                                   {"kind", "SelfSubjectAccessReview"},
                                                   {"spec", {{"resourceAttributes", attributes}}}});
      const auto status = review.value("status", nlohmann::json::object());
      if (status.value("allowed", false)) {
        line.detail = "allowed (" + p.why + ")";
      } else {
        line.verdict = Verdict::fail;
        line.detail = "denied (" + p.why + ")";
        if (const std::string reason = status.value("reason", ""); !reason.empty())
          line.detail += ": " + reason;
        line.fix = fix_for(p);
      }
    } catch (const kube::ApiError& e) {
      line.verdict = Verdict::fail;
      line.detail = std::string("cannot ask the API server: ") + e.what();
      line.fix = "check the kubeconfig and that the API server is reachable";
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string format_permission_check(const std::vector<CheckLine>& lines) {
  std::string out = "Checking API permissions (SelfSubjectAccessReview)\n";
  int failed = 0;
  for (const auto& line : lines) {
    failed += line.verdict == Verdict::fail;
    out += format_check_line(line);
  }
  out += failed == 0 ? std::string("Result: PASS, the provisioner may do all it needs\n")
                     : "Result: FAIL (" + std::to_string(failed) +
                           " denied), the provisioner would be refused by the API\n";
  return out;
}

}  // namespace nfsprov::ops
