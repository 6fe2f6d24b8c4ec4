#include "provisioner/core/finalizers.h"

#include <algorithm>

#include "provisioner/core/annotations.h"
#include "provisioner/core/json_fields.h"

namespace nfsprov::core {

namespace {

bool is_ours(const nlohmann::json& f) {
  return f.is_string() && f.get<std::string>() == kProvisionerFinalizer;
}

}  // namespace

bool has_provisioner_finalizer(const nlohmann::json& pv) {
  const auto& finalizers = field(field(pv, "metadata"), "finalizers");
  return finalizers.is_array() && std::any_of(finalizers.begin(), finalizers.end(), is_ours);
}

nlohmann::json without_provisioner_finalizer(nlohmann::json pv) {
  if (!has_provisioner_finalizer(pv)) return pv;
  auto& finalizers = pv["metadata"]["finalizers"];
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& f : finalizers)
    if (!is_ours(f)) kept.push_back(f);
  finalizers = std::move(kept);
  return pv;
}

}  // namespace nfsprov::core
