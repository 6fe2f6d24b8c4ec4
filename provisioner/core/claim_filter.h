// Whether a claim is ours and ready to provision now. Pure. Whether PV "pvc-<uid>" already
// exists is the controller's check (it needs the PV cache).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nfsprov::core {

enum class ClaimState {
  ready,                 // provision it
  not_ours,              // no class name, or the class names another provisioner
  no_class_yet,          // its class does not exist (yet): look again when classes change
  waiting_for_consumer,  // WaitForFirstConsumer class and no selected-node annotation yet
  not_handed_over,       // the PV controller has not (yet) asked a provisioner: it may still
                         // bind the claim to an existing volume, and we must not race it
  already_bound,         // spec.volumeName is set
  being_deleted,         // metadata.deletionTimestamp is set
};

struct ClaimVerdict {
  ClaimState state;
  std::string why;  // short text for debug logs, e.g. "class nfs-client belongs to other.io/x"
};

// spec.storageClassName, else the legacy annotation volume.beta.kubernetes.io/storage-class,
// else "".
std::string claim_class_name(const nlohmann::json& claim);

// storage_class: the class named by claim_class_name(claim), nullptr when it does not exist.
// Checks, in order: being_deleted, already_bound, not_ours (no class name), no_class_yet,
// not_ours (class.provisioner != provisioner_name), waiting_for_consumer, not_handed_over
// (neither storage-provisioner annotation set), not_ours (it names another provisioner), ready.
ClaimVerdict judge_claim(const nlohmann::json& claim, const nlohmann::json* storage_class,
                         std::string_view provisioner_name);

std::string_view to_string(ClaimState state);

}  // namespace nfsprov::core
