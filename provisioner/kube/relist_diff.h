// What changed between the informer's cache and a fresh list (after a 410 Gone): the
// handlers get exactly these, so nothing is missed or delivered twice. Pure, for tests.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace nfsprov::kube {

struct RelistDiff {
  std::vector<nlohmann::json> added;
  std::vector<std::pair<nlohmann::json, nlohmann::json>> updated;  // (old, new)
  std::vector<nlohmann::json> deleted;                             // last known state
  std::map<std::string, nlohmann::json> cache;                     // the new cache
};

// Objects whose resourceVersion did not change are not "updated", unless their record changed
// its JSON type (an informer's transform made a compact record whole, or the reverse).
RelistDiff diff_relist(const std::map<std::string, nlohmann::json>& cache,
                       const nlohmann::json& items);
// The same for records as an informer stores them (InformerTransform): fresh is keyed already,
// and a record's resourceVersion is what version_of reads from it.
RelistDiff diff_relist(const std::map<std::string, nlohmann::json>& cache,
                       std::map<std::string, nlohmann::json> fresh,
                       const std::function<std::string(const nlohmann::json&)>& version_of);

}  // namespace nfsprov::kube
