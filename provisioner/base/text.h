// Small conversions written once for every layer: Go's bool syntax, UTC time stamps, random
// hex. Pure but for random_hex, which reads std::random_device.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace nfsprov::base {

// Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False; nullopt otherwise.
// The syntax of nfs-subdir's archiveOnDelete and of its environment (ENABLE_LEADER_ELECTION).
std::optional<bool> parse_go_bool(std::string_view text);

// RFC 3339 in UTC with fraction_digits (0, 3 or 6; truncated, not rounded) of the second:
// "2026-11-25T15:18:28Z", "...28.123Z" (the log), "...28.123456Z" (a Lease's MicroTime).
std::string utc_timestamp(std::chrono::system_clock::time_point when, int fraction_digits = 0);

// digits random lowercase hex digits (std::random_device): names that must not collide
// between processes.
std::string random_hex(std::size_t digits);

}  // namespace nfsprov::base
