// A claim's PV name and whether a PV is ours, decided here for every part that asks (the
// planner, the workers, the caches, the reclaimer, expansion, usage, audit, release-finalizers).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nfsprov::core {

// "pvc-<uid>", the name the external-provisioner library gives a claim's PV: the same claim
// always gets the same name, which makes provisioning safe to repeat.
std::string volume_name_for_uid(std::string_view claim_uid);
// The PV name of a claim object (its metadata.uid; "pvc-" when it has none).
std::string volume_name_for(const nlohmann::json& claim);

// The PV carries pv.kubernetes.io/provisioned-by naming provisioner_name. A PV without the
// annotation (static, or another provisioner's) is never ours.
bool provisioned_by(const nlohmann::json& pv, std::string_view provisioner_name);

}  // namespace nfsprov::core
