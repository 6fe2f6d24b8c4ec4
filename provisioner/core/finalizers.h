// Our PV finalizer (core::kProvisionerFinalizer) read and dropped in one place: the reclaimer
// removes it once a directory is dealt with, `release-finalizers` after a rollback. Pure.
#pragma once

#include <nlohmann/json.hpp>

namespace nfsprov::core {

bool has_provisioner_finalizer(const nlohmann::json& pv);
// The same object with every finalizer but ours, in their order (kubernetes.io/pv-protection
// and anyone else's keep holding the PV). An object without a finalizer list is unchanged.
nlohmann::json without_provisioner_finalizer(nlohmann::json pv);

}  // namespace nfsprov::core
