// What changed between the informer's cache and a fresh list (after a 410 Gone): the
// handlers get exactly these, so nothing is missed or delivered twice. Pure, for tests.
// Nothing is copied: the old cache's records move into the difference, and what is new is
// named by its key in the new cache (a relist of 50,000 objects must not hold them twice).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace nfsprov::kube {

struct RelistDiff {
  std::vector<std::string> added;                               // keys in cache
  std::vector<std::pair<nlohmann::json, std::string>> updated;  // (old record, key in cache)
  std::vector<nlohmann::json> deleted;                          // last known records
  std::map<std::string, nlohmann::json> cache;                  // the new cache
};

// Objects whose record did not change are not "updated": an object of the same
// resourceVersion is updated only when the informer's transform made another record of it (a
// compact claim record made whole, or the reverse).
RelistDiff diff_relist(std::map<std::string, nlohmann::json> cache, const nlohmann::json& items);
// The same for records as an informer stores them (InformerTransform): fresh is keyed already.
RelistDiff diff_relist(std::map<std::string, nlohmann::json> cache,
                       std::map<std::string, nlohmann::json> fresh);

}  // namespace nfsprov::kube
