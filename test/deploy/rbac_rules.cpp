#include "test/deploy/rbac_rules.h"

#include <algorithm>
#include <stdexcept>

namespace nfsprov::deploytest {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool matches_or_star(const std::vector<std::string>& list, const std::string& value) {
  return contains(list, "*") || contains(list, value);
}

// The apiserver's ResourceMatches: "*", the exact "resource[/subresource]", or
// "*/subresource". A plain "pods" does not cover "pods/status".
bool resource_matches(const PolicyRule& rule, const ApiRequest& request) {
  std::string combined = request.resource;
  if (!request.subresource.empty()) combined += "/" + request.subresource;
  for (const auto& r : rule.resources) {
    if (r == "*" || r == combined) return true;
    if (!request.subresource.empty() && r == "*/" + request.subresource) return true;
  }
  return false;
}

std::vector<std::string> strings(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node && node.IsSequence())
    for (const auto& item : node) out.push_back(item.as<std::string>());
  return out;
}

std::string scalar(const YAML::Node& node, const std::string& key) {
  return node && node[key] ? node[key].as<std::string>() : std::string{};
}

std::vector<PolicyRule> rules_of(const YAML::Node& role) {
  std::vector<PolicyRule> rules;
  for (const auto& r : role["rules"]) {
    if (r["nonResourceURLs"]) continue;  // not about API resources
    rules.push_back({strings(r["apiGroups"]), strings(r["resources"]), strings(r["verbs"]),
                     strings(r["resourceNames"])});
  }
  return rules;
}

}  // namespace

std::string ApiRequest::describe() const {
  std::string out = verb + " " + resource;
  if (!subresource.empty()) out += "/" + subresource;
  if (!api_group.empty()) out += "." + api_group;
  out += namespace_.empty() ? " (cluster-wide)" : " in namespace " + namespace_;
  return out;
}

bool rule_allows(const PolicyRule& rule, const ApiRequest& request) {
  if (!matches_or_star(rule.verbs, request.verb)) return false;
  if (!matches_or_star(rule.api_groups, request.api_group)) return false;
  if (!resource_matches(rule, request)) return false;
  return rule.resource_names.empty() || contains(rule.resource_names, request.name);
}

bool grants_allow(const std::vector<Grant>& grants, const ApiRequest& request) {
  for (const auto& grant : grants) {
    if (grant.namespace_ && *grant.namespace_ != request.namespace_) continue;
    for (const auto& rule : grant.rules)
      if (rule_allows(rule, request)) return true;
  }
  return false;
}

std::vector<Grant> grants_for_service_account(const std::vector<YAML::Node>& docs,
                                              const std::string& sa_namespace,
                                              const std::string& sa_name) {
  auto find_role = [&](const std::string& kind, const std::string& name,
                       const std::string& ns) -> const YAML::Node* {
    for (const auto& doc : docs) {
      if (scalar(doc, "kind") != kind || scalar(doc["metadata"], "name") != name) continue;
      if (kind == "Role" && scalar(doc["metadata"], "namespace") != ns) continue;
      return &doc;
    }
    return nullptr;
  };

  std::vector<Grant> grants;
  for (const auto& doc : docs) {
    std::string kind = scalar(doc, "kind");
    if (kind != "ClusterRoleBinding" && kind != "RoleBinding") continue;
    std::string binding_ns = scalar(doc["metadata"], "namespace");
    bool bound = false;
    for (const auto& s : doc["subjects"]) {
      // A RoleBinding's ServiceAccount subject without a namespace means its own namespace.
      std::string ns = scalar(s, "namespace");
      if (ns.empty() && kind == "RoleBinding") ns = binding_ns;
      bound = bound || (scalar(s, "kind") == "ServiceAccount" && scalar(s, "name") == sa_name &&
                        ns == sa_namespace);
    }
    if (!bound) continue;
    std::string role_kind = scalar(doc["roleRef"], "kind");
    std::string role_name = scalar(doc["roleRef"], "name");
    const YAML::Node* role = find_role(role_kind, role_name, binding_ns);
    std::string source =
        role_kind + "/" + role_name + " via " + kind + "/" + scalar(doc["metadata"], "name");
    if (!role) throw std::runtime_error(source + ": the role is not defined");
    Grant grant{source, std::nullopt, rules_of(*role)};
    if (kind == "RoleBinding") grant.namespace_ = binding_ns;
    grants.push_back(std::move(grant));
  }
  return grants;
}

std::vector<std::string> unused_permissions(const std::vector<Grant>& grants,
                                            const std::vector<ApiRequest>& requests) {
  std::vector<std::string> unused;
  for (const auto& grant : grants) {
    for (const auto& rule : grant.rules) {
      for (const auto& group : rule.api_groups) {
        for (const auto& resource : rule.resources) {
          for (const auto& verb : rule.verbs) {
            // The single permission this triple grants, used if any request falls under it.
            PolicyRule single{{group}, {resource}, {verb}, rule.resource_names};
            bool used = std::any_of(requests.begin(), requests.end(), [&](const ApiRequest& r) {
              return (!grant.namespace_ || *grant.namespace_ == r.namespace_) &&
                     rule_allows(single, r);
            });
            if (!used)
              unused.push_back(verb + " " + resource + (group.empty() ? "" : "." + group) + " (" +
                               grant.source + ")");
          }
        }
      }
    }
  }
  return unused;
}

}  // namespace nfsprov::deploytest
