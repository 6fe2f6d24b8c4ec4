// ExpansionPlanner: what growing a Bound claim of ours takes, from the claim, its PV and its
// class (JSON as the API returns them). Pure: no I/O.
//
// kube-controller-manager's expand controller cannot grow an in-tree `nfs` volume: it records
// an ExternalExpanding Event ("waiting for an external controller to expand this PVC") and
// leaves the claim to an external resizer. We are that resizer for the PVs we provisioned, in
// the order kubernetes-csi/external-resizer uses: the PV's spec.capacity first, then the
// claim's status.capacity. A crash between the two leaves a PV already big enough, and the
// next pass only finishes the claim. Nothing here ever makes anything smaller.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nfsprov::core {

enum class ExpansionStep {
  none,          // nothing to do (why says which check said so)
  raise_volume,  // PV spec.capacity to new_size (the claim's request), then finish the claim
  finish_claim,  // the PV is big enough already: claim status.capacity to new_size (the PV's)
};

struct ExpansionDecision {
  ExpansionStep step = ExpansionStep::none;
  std::string new_size;  // the quantity as the API wrote it, never re-rendered
  std::string why;       // for debug logs when step is none

  bool operator==(const ExpansionDecision&) const = default;
};

// pv: the claim's PV from the cache (nullptr when not there); storage_class: the claim's
// class (nullptr when unknown). None unless: the claim is alive and Bound to pv, pv's claimRef
// has the claim's uid, pv carries pv.kubernetes.io/provisioned-by: provisioner_name, the class
// names provisioner_name, and spec.resources.requests.storage is larger than
// status.capacity.storage (all three quantities parse). The class's allowVolumeExpansion is
// admission's check when the user raises the request, not ours.
ExpansionDecision plan_expansion(const nlohmann::json& claim, const nlohmann::json* pv,
                                 const nlohmann::json* storage_class,
                                 std::string_view provisioner_name);

std::string_view to_string(ExpansionStep step);

}  // namespace nfsprov::core
