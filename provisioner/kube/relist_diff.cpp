#include "provisioner/kube/relist_diff.h"

#include "provisioner/kube/informer.h"

namespace nfsprov::kube {
namespace {

std::string resource_version(const nlohmann::json& obj) {
  return obj.contains("metadata") ? obj["metadata"].value("resourceVersion", "") : "";
}

}  // namespace

RelistDiff diff_relist(const std::map<std::string, nlohmann::json>& cache,
                       const nlohmann::json& items) {
  RelistDiff diff;
  if (items.is_array()) {
    for (const auto& item : items) diff.cache[object_key(item)] = item;
  }
  for (const auto& [key, obj] : diff.cache) {
    auto old = cache.find(key);
    if (old == cache.end())
      diff.added.push_back(obj);
    else if (resource_version(old->second) != resource_version(obj))
      diff.updated.emplace_back(old->second, obj);
  }
  for (const auto& [key, obj] : cache) {
    if (!diff.cache.contains(key)) diff.deleted.push_back(obj);
  }
  return diff;
}

}  // namespace nfsprov::kube
