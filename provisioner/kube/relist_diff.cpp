#include "provisioner/kube/relist_diff.h"

#include "provisioner/base/json_fields.h"
#include "provisioner/kube/informer.h"

namespace nfsprov::kube {
namespace {

std::string resource_version(const nlohmann::json& obj) {
  return base::metadata_field(obj, "resourceVersion");
}

}  // namespace

RelistDiff diff_relist(const std::map<std::string, nlohmann::json>& cache,
                       const nlohmann::json& items) {
  std::map<std::string, nlohmann::json> fresh;
  if (items.is_array()) {
    for (const auto& item : items) fresh[object_key(item)] = item;
  }
  return diff_relist(cache, std::move(fresh), resource_version);
}

RelistDiff diff_relist(const std::map<std::string, nlohmann::json>& cache,
                       std::map<std::string, nlohmann::json> fresh,
                       const std::function<std::string(const nlohmann::json&)>& version_of) {
  RelistDiff diff;
  diff.cache = std::move(fresh);
  for (const auto& [key, obj] : diff.cache) {
    auto old = cache.find(key);
    if (old == cache.end()) diff.added.push_back(obj);
    // Same version, another form: the transform's verdict changed (a compact record made whole
    // since its class names us now), which the handlers must hear about.
    else if (version_of(old->second) != version_of(obj) || old->second.type() != obj.type())
      diff.updated.emplace_back(old->second, obj);
  }
  for (const auto& [key, obj] : cache) {
    if (!diff.cache.contains(key)) diff.deleted.push_back(obj);
  }
  return diff;
}

}  // namespace nfsprov::kube
