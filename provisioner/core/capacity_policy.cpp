#include "provisioner/core/capacity_policy.h"

#include "provisioner/core/class_export.h"
#include "provisioner/core/json_fields.h"

namespace nfsprov::core {

Outcome<CapacityPolicy> capacity_policy(const nlohmann::json* storage_class) {
  const auto text = class_parameter(storage_class, "capacityPolicy");
  if (!text || *text == "warn") return CapacityPolicy::warn;
  if (*text == "refuse") return CapacityPolicy::refuse;
  if (*text == "ignore") return CapacityPolicy::ignore;
  return Refusal{"InvalidParameter", "StorageClass parameter capacityPolicy \"" + printable(*text) +
                                         "\" is not refuse, warn or ignore"};
}

CapacityVerdict judge_capacity(CapacityPolicy policy, std::uint64_t request_bytes,
                               std::string_view request_text,
                               const std::optional<nfs::ExportUsage>& usage,
                               std::string_view export_name) {
  if (policy == CapacityPolicy::ignore || !usage || request_bytes <= usage->available_bytes)
    return {};
  const std::string what = "claim requests " + std::string(request_text) + " (" +
                           std::to_string(request_bytes) + " bytes), more than the " +
                           std::to_string(usage->available_bytes) + " bytes free on export " +
                           std::string(export_name) + " (of " + std::to_string(usage->total_bytes) +
                           ")";
  if (policy == CapacityPolicy::refuse)
    return {CapacityVerdict::Kind::refuse,
            what +
                ": refused by the class's capacityPolicy \"refuse\"; free space on the "
                "export, ask for less, or use another class"};
  return {CapacityVerdict::Kind::warn,
          what +
              ": provisioned anyway (capacityPolicy \"warn\"); on NFS a volume's size is a "
              "promise, not a quota"};
}

}  // namespace nfsprov::core
