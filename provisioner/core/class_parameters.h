// The StorageClass parameters the provisioner reads, each named once here with what it means,
// and the readers that parse them. Absent reads as nullopt (the planner that uses it picks the
// default); set but not of its kind is a Refusal "InvalidParameter": StorageClass parameter
// <name> "<value>" <why>. Unknown parameters are ignored, as nfs-subdir and the
// external-provisioner library ignore them. A new parameter: its name and reader here, its
// test in test/unit/core/class_parameters_test.cpp, then its use in the planner it serves.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "provisioner/core/refusal.h"

namespace nfsprov::core {

namespace param {

// Where the volume lives (class_export.h).
inline constexpr std::string_view kServer = "server";        // NFS server host or IP
inline constexpr std::string_view kShare = "share";          // absolute export path
inline constexpr std::string_view kNfsPort = "nfsPort";      // 1..65535, no portmapper
inline constexpr std::string_view kMountPort = "mountPort";  // 1..65535, no portmapper
// The directory (volume_planner.h, path_pattern.h).
inline constexpr std::string_view kPathPattern = "pathPattern";    // nfs-subdir's ${.PVC.…}
inline constexpr std::string_view kMaxPathDepth = "maxPathDepth";  // 1..kMaxMaxPathDepth levels
inline constexpr std::string_view kMountPermissions = "mountPermissions";  // octal, up to 07777
inline constexpr std::string_view kUid = "uid";                            // 0..4294967294
inline constexpr std::string_view kGid = "gid";                            // 0..4294967294
// Go bool: may a claim's nfs.io/createMode set setuid, setgid or sticky bits.
inline constexpr std::string_view kAllowClaimSpecialModes = "allowClaimSpecialModes";
// Space (capacity_policy.h, volume_usage.h).
inline constexpr std::string_view kCapacityPolicy = "capacityPolicy";  // refuse | warn | ignore
inline constexpr std::string_view kUsageWarningPercent = "usageWarningPercent";  // 1..10000
// Deletion (deletion_planner.h, archive_retention.h).
inline constexpr std::string_view kOnDelete = "onDelete";                  // delete|retain|archive
inline constexpr std::string_view kArchiveOnDelete = "archiveOnDelete";    // Go bool
inline constexpr std::string_view kArchiveRetention = "archiveRetention";  // an age: 30d, 1d12h

}  // namespace param

// .parameters[name] of a StorageClass; nullopt when there is no class, no such parameter, or
// it is not a string.
std::optional<std::string> class_parameter(const nlohmann::json* storage_class,
                                           std::string_view name);

// The refusal of a parameter's value: StorageClass parameter <name> "<value>" <why>.
Refusal invalid_parameter(std::string_view name, std::string_view value, std::string_view why);

// Go's strconv.ParseBool syntax; else "is not true or false".
Outcome<std::optional<bool>> bool_parameter(const nlohmann::json* storage_class,
                                            std::string_view name);

// A port to connect to, 1..65535 (base::parse_port); else "is not a port number (1..65535)".
Outcome<std::optional<int>> port_parameter(const nlohmann::json* storage_class,
                                           std::string_view name);

// A whole number from min to max in decimal digits (no sign); else the refusal with why.
Outcome<std::optional<std::uint32_t>> number_parameter(const nlohmann::json* storage_class,
                                                       std::string_view name, std::uint32_t min,
                                                       std::uint32_t max, std::string_view why);

// One of the words of choices, as the value it stands for; else the refusal with why.
template <class T>
Outcome<std::optional<T>> choice_parameter(
    const nlohmann::json* storage_class, std::string_view name,
    std::initializer_list<std::pair<std::string_view, T>> choices, std::string_view why) {
  const auto text = class_parameter(storage_class, name);
  if (!text) return std::optional<T>{};
  for (const auto& [word, value] : choices)
    if (*text == word) return std::optional<T>{value};
  return invalid_parameter(name, *text, why);
}

}  // namespace nfsprov::core
