#include "provisioner/core/volume_identity.h"

#include "provisioner/core/annotations.h"
#include "provisioner/core/json_fields.h"

namespace nfsprov::core {

std::string volume_name_for_uid(std::string_view claim_uid) {
  return "pvc-" + std::string(claim_uid);
}

std::string volume_name_for(const nlohmann::json& claim) {
  return volume_name_for_uid(metadata_field(claim, "uid"));
}

bool provisioned_by(const nlohmann::json& pv, std::string_view provisioner_name) {
  return annotation_of(pv, kProvisionedBy) == provisioner_name;
}

}  // namespace nfsprov::core
