#include "test/apiserver/resource_table.h"

namespace nfsprov::testing::apiserver {

using nlohmann::json;

const std::vector<ResourceType>& resource_types() {
  static const std::vector<ResourceType> types = {
      {"", "v1", "namespaces", "namespace", "Namespace", false, true, {"ns"}},
      {"",
       "v1",
       "persistentvolumeclaims",
       "persistentvolumeclaim",
       "PersistentVolumeClaim",
       true,
       true,
       {"pvc"}},
      {"", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, true, {"pv"}},
      {"", "v1", "events", "event", "Event", true, false, {"ev"}},
      {"storage.k8s.io",
       "v1",
       "storageclasses",
       "storageclass",
       "StorageClass",
       false,
       false,
       {"sc"}},
      {"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, false, {}},
  };
  return types;
}

const ResourceType* find_resource(std::string_view group, std::string_view version,
                                  std::string_view plural) {
  for (const auto& t : resource_types()) {
    if (t.group == group && t.version == version && t.plural == plural) return &t;
  }
  return nullptr;
}

const ResourceType* find_resource_by_plural(std::string_view plural) {
  for (const auto& t : resource_types()) {
    if (t.plural == plural) return &t;
  }
  return nullptr;
}

json version_document() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", "v1.32.0-nfsprov-test"},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2025-01-01T00:00:00Z"},
          {"goVersion", "go1.23"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json core_versions_document(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

json group_list_document() {
  json groups = json::array();
  for (const auto& t : resource_types()) {
    if (t.group.empty()) continue;
    bool seen = false;
    for (const auto& g : groups) seen = seen || g["name"] == t.group;
    if (seen) continue;
    json gv = {{"groupVersion", t.api_version()}, {"version", t.version}};
    groups.push_back({{"name", t.group}, {"versions", {gv}}, {"preferredVersion", gv}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<json> resource_list_document(std::string_view group, std::string_view version) {
  json resources = json::array();
  for (const auto& t : resource_types()) {
    if (t.group != group || t.version != version) continue;
    json verbs = {"create", "delete", "deletecollection", "get",
                  "list",   "patch",  "update",           "watch"};
    resources.push_back({{"name", t.plural},
                         {"singularName", t.singular},
                         {"namespaced", t.namespaced},
                         {"kind", t.kind},
                         {"verbs", verbs},
                         {"shortNames", t.short_names},
                         {"storageVersionHash", ""}});
    if (t.has_status) {
      resources.push_back({{"name", t.plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", t.namespaced},
                           {"kind", t.kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
  }
  if (resources.empty()) return std::nullopt;
  std::string gv =
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  return json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", gv},
              {"resources", resources}};
}

namespace {
std::string openapi_path(const ResourceType& t) {
  return t.group.empty() ? "api/v1" : "apis/" + t.group + "/" + t.version;
}
}  // namespace

json openapi_root_document() {
  json paths = json::object();
  for (const auto& t : resource_types()) {
    paths[openapi_path(t)] = {{"serverRelativeURL", "/openapi/v3/" + openapi_path(t) + "?hash=1"}};
  }
  return {{"paths", paths}};
}

std::optional<json> openapi_group_version_document(std::string_view group_version) {
  json paths = json::object();
  for (const auto& t : resource_types()) {
    if (openapi_path(t) != group_version) continue;
    std::string path = "/" + openapi_path(t) + (t.namespaced ? "/namespaces/{namespace}/" : "/") +
                       t.plural + "/{name}";
    json gvk = {{"group", t.group}, {"version", t.version}, {"kind", t.kind}};
    paths[path] = {
        {"patch",
         {{"operationId", "patch" + t.kind},
          {"x-kubernetes-group-version-kind", gvk},
          {"x-kubernetes-action", "patch"},
          {"parameters",
           {{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
            {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}}}},
          {"responses", {{"200", {{"description", "OK"}}}}}}}};
  }
  if (paths.empty()) return std::nullopt;
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
              {"paths", paths}};
}

}  // namespace nfsprov::testing::apiserver
