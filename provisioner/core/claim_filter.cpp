#include "provisioner/core/claim_filter.h"

#include "provisioner/core/annotations.h"
#include "provisioner/core/json_fields.h"

namespace nfsprov::core {

std::string claim_class_name(const nlohmann::json& claim) {
  std::string name = string_field(field(claim, "spec"), "storageClassName");
  if (!name.empty()) return name;
  return annotation_of(claim, kLegacyClassAnnotation).value_or("");
}

ClaimVerdict judge_claim(const nlohmann::json& claim, const nlohmann::json* storage_class,
                         std::string_view provisioner_name) {
  if (!field(field(claim, "metadata"), "deletionTimestamp").is_null()) {
    return {ClaimState::being_deleted, "claim is being deleted"};
  }
  std::string volume = string_field(field(claim, "spec"), "volumeName");
  if (!volume.empty()) return {ClaimState::already_bound, "claim is bound to " + volume};
  std::string class_name = claim_class_name(claim);
  if (class_name.empty()) return {ClaimState::not_ours, "claim names no storage class"};
  if (storage_class == nullptr) {
    return {ClaimState::no_class_yet, "storage class " + class_name + " does not exist"};
  }
  std::string provisioner = string_field(*storage_class, "provisioner");
  if (provisioner != provisioner_name) {
    return {ClaimState::not_ours,
            "storage class " + class_name + " belongs to provisioner " + provisioner};
  }
  if (string_field(*storage_class, "volumeBindingMode") == "WaitForFirstConsumer" &&
      annotation_of(claim, kSelectedNodeAnnotation).value_or("").empty()) {
    return {ClaimState::waiting_for_consumer,
            "storage class " + class_name + " waits for a pod to be scheduled"};
  }
  // Like the external-provisioner library: only a claim the PV controller handed over is ours
  // to provision; before that it may bind the claim to a static volume that fits.
  std::string handed_to = annotation_of(claim, kStorageProvisionerAnnotation).value_or("");
  if (handed_to.empty())
    handed_to = annotation_of(claim, kBetaStorageProvisionerAnnotation).value_or("");
  if (handed_to.empty()) {
    return {ClaimState::not_handed_over,
            "the PV controller has not handed the claim to a provisioner yet"};
  }
  if (handed_to != provisioner_name) {
    return {ClaimState::not_ours, "the PV controller handed the claim to " + handed_to};
  }
  return {ClaimState::ready, "claim is ready to provision"};
}

std::string_view to_string(ClaimState state) {
  switch (state) {
    case ClaimState::ready:
      return "ready";
    case ClaimState::not_ours:
      return "not_ours";
    case ClaimState::no_class_yet:
      return "no_class_yet";
    case ClaimState::waiting_for_consumer:
      return "waiting_for_consumer";
    case ClaimState::not_handed_over:
      return "not_handed_over";
    case ClaimState::already_bound:
      return "already_bound";
    case ClaimState::being_deleted:
      return "being_deleted";
  }
  return "unknown";
}

}  // namespace nfsprov::core
