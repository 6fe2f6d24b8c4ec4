// What a class does with a claim larger than its export's free space (class parameter
// capacityPolicy). Pure. nfs-subdir ignores capacity entirely; on NFS a volume's size is a
// promise, not a quota (nothing stops a pod from writing more), so the default only warns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "nfs/values/files.h"
#include "provisioner/core/refusal.h"

namespace nfsprov::core {

enum class CapacityPolicy {
  refuse,  // ProvisioningFailed Warning, nothing made
  warn,    // provisioned, with a Warning Event (the default)
  ignore,  // provisioned, nothing said
};

// The class's capacityPolicy parameter ("refuse", "warn", "ignore"; absent: warn). Anything
// else is refused (reason InvalidParameter) with a message naming the value.
Outcome<CapacityPolicy> capacity_policy(const nlohmann::json* storage_class);

struct CapacityVerdict {
  enum class Kind { fits, warn, refuse } kind = Kind::fits;
  std::string message;  // for the Event when not fits
};

// request_bytes against usage.available_bytes (what an unprivileged writer may still use).
// Unknown usage (the export did not answer statvfs): fits, since nothing can be said.
CapacityVerdict judge_capacity(CapacityPolicy policy, std::uint64_t request_bytes,
                               std::string_view request_text,
                               const std::optional<nfs::ExportUsage>& usage,
                               std::string_view export_name);

// Growing a volume from from_text to to_text asks for growth_bytes more, judged the same way:
// refuse gives the VolumeResizeFailed message, warn the CapacityExceeded one.
CapacityVerdict judge_growth(CapacityPolicy policy, std::uint64_t growth_bytes,
                             std::string_view from_text, std::string_view to_text,
                             const std::optional<nfs::ExportUsage>& usage,
                             std::string_view export_name);

}  // namespace nfsprov::core
