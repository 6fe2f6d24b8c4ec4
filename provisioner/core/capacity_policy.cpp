#include "provisioner/core/capacity_policy.h"

#include "provisioner/core/class_parameters.h"
#include "provisioner/core/json_fields.h"

namespace nfsprov::core {

Outcome<CapacityPolicy> capacity_policy(const nlohmann::json* storage_class) {
  const auto policy = choice_parameter<CapacityPolicy>(storage_class, param::kCapacityPolicy,
                                                       {{"refuse", CapacityPolicy::refuse},
                                                        {"warn", CapacityPolicy::warn},
                                                        {"ignore", CapacityPolicy::ignore}},
                                                       "is not refuse, warn or ignore");
  if (auto* refusal = std::get_if<Refusal>(&policy)) return *refusal;
  return std::get<std::optional<CapacityPolicy>>(policy).value_or(CapacityPolicy::warn);
}

namespace {

// what: "claim requests 2Gi (2147483648 bytes)", and the like.
CapacityVerdict judge(CapacityPolicy policy, std::uint64_t bytes, const std::string& what,
                      const std::optional<nfs::ExportUsage>& usage, std::string_view export_name,
                      std::string_view done, std::string_view instead) {
  if (policy == CapacityPolicy::ignore || !usage || bytes <= usage->available_bytes) return {};
  const std::string said = what + ", more than the " + std::to_string(usage->available_bytes) +
                           " bytes free on export " + std::string(export_name) + " (of " +
                           std::to_string(usage->total_bytes) + ")";
  if (policy == CapacityPolicy::refuse)
    return {CapacityVerdict::Kind::refuse,
            said +
                ": refused by the class's capacityPolicy \"refuse\"; free space on the "
                "export, " +
                std::string(instead)};
  return {CapacityVerdict::Kind::warn, said + ": " + std::string(done) +
                                           " anyway (capacityPolicy \"warn\"); on NFS a "
                                           "volume's size is a promise, not a quota"};
}

}  // namespace

CapacityVerdict judge_capacity(CapacityPolicy policy, std::uint64_t request_bytes,
                               std::string_view request_text,
                               const std::optional<nfs::ExportUsage>& usage,
                               std::string_view export_name) {
  return judge(policy, request_bytes,
               "claim requests " + std::string(request_text) + " (" +
                   std::to_string(request_bytes) + " bytes)",
               usage, export_name, "provisioned", "ask for less, or use another class");
}

CapacityVerdict judge_growth(CapacityPolicy policy, std::uint64_t growth_bytes,
                             std::string_view from_text, std::string_view to_text,
                             const std::optional<nfs::ExportUsage>& usage,
                             std::string_view export_name) {
  return judge(policy, growth_bytes,
               "growing the claim from " + std::string(from_text) + " to " + std::string(to_text) +
                   " asks for " + std::to_string(growth_bytes) + " bytes more",
               usage, export_name, "grown",
               "or lower the request again (down to the claim's current size)");
}

}  // namespace nfsprov::core
