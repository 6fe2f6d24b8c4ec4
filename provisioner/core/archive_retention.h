// How long archives (archived-* directories) are kept: class parameter archiveRetention and
// `audit --delete-expired`. Ages are whole seconds written as "30d", "12h", "1d12h", "90m",
// "45s". Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "provisioner/core/refusal.h"

namespace nfsprov::core {

// One or more <digits><unit> with unit d, h, m or s, larger units first ("1d12h"); nullopt
// for anything else, zero, or more than 100 years.
std::optional<std::chrono::seconds> parse_age(std::string_view text);
// The two largest non-zero units: "3d4h", "5m12s", "0s".
std::string format_age(std::chrono::seconds age);

// The class's archiveRetention: nullopt (absent: keep archives forever, as nfs-subdir does),
// or the age after which its archives go. A value parse_age refuses is an InvalidParameter
// refusal naming it.
Outcome<std::optional<std::chrono::seconds>> archive_retention(const nlohmann::json* storage_class);

// Archives do not say which class made them once their PV is gone, so an export's archives
// follow the most patient of the classes of ours on it: nullopt (keep) when any keeps forever
// (or there is none), else the longest retention.
std::optional<std::chrono::seconds> export_retention(
    const std::vector<std::optional<std::chrono::seconds>>& class_retentions);

}  // namespace nfsprov::core
