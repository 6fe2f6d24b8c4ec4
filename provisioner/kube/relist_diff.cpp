#include "provisioner/kube/relist_diff.h"

#include "provisioner/kube/informer.h"

namespace nfsprov::kube {

RelistDiff diff_relist(std::map<std::string, nlohmann::json> cache, const nlohmann::json& items) {
  std::map<std::string, nlohmann::json> fresh;
  if (items.is_array()) {
    for (const auto& item : items) fresh[object_key(item)] = item;
  }
  return diff_relist(std::move(cache), std::move(fresh));
}

RelistDiff diff_relist(std::map<std::string, nlohmann::json> cache,
                       std::map<std::string, nlohmann::json> fresh) {
  RelistDiff diff;
  diff.cache = std::move(fresh);
  for (const auto& [key, record] : diff.cache) {
    auto old = cache.find(key);
    if (old == cache.end()) {
      diff.added.push_back(key);
      continue;
    }
    // Another record: a new version, or the same version in another form (the transform's
    // verdict changed: a compact record made whole since its class names us now), which the
    // handlers must hear about. A record is made from its object alone, so an unchanged
    // object has an unchanged record.
    if (old->second != record) diff.updated.emplace_back(std::move(old->second), key);
    cache.erase(old);
  }
  for (auto& [key, record] : cache) diff.deleted.push_back(std::move(record));
  return diff;
}

}  // namespace nfsprov::kube
