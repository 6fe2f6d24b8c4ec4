// The API resources this server serves, and the discovery documents that describe them to
// kubectl and client libraries.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace nfsprov::testing::apiserver {

struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  bool namespaced;
  bool has_status;  // status is a subresource: the main PUT/PATCH leaves it alone
  std::vector<std::string> short_names;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
};

const std::vector<ResourceType>& resource_types();
const ResourceType* find_resource(std::string_view group, std::string_view version,
                                  std::string_view plural);
const ResourceType* find_resource_by_plural(std::string_view plural);

nlohmann::json version_document();
nlohmann::json core_versions_document(const std::string& server_address);
nlohmann::json group_list_document();
// The APIResourceList of one group/version, or nullopt when it is not served.
std::optional<nlohmann::json> resource_list_document(std::string_view group,
                                                     std::string_view version);

// OpenAPI v3: the root lists one document per group/version; each document declares, for
// every kind, a PATCH operation taking the fieldValidation query parameter. That is what
// kubectl checks before it relies on server-side field validation (--validate=strict).
nlohmann::json openapi_root_document();
std::optional<nlohmann::json> openapi_group_version_document(std::string_view group_version);

}  // namespace nfsprov::testing::apiserver
