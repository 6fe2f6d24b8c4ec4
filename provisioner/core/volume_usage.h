// A volume's measured usage against its request: NFS cannot enforce a claim's size, so the
// provisioner says when a volume outgrows it (a soft quota). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "provisioner/core/refusal.h"

namespace nfsprov::core {

// Class parameter usageWarningPercent: a volume is over its request once its bytes exceed this
// percentage of the request; 1..10000, default 100. Anything else is InvalidParameter.
Outcome<int> usage_warning_percent(const nlohmann::json* storage_class);

// The PV's spec.capacity.storage in bytes; nullopt when absent or not a quantity.
std::optional<std::uint64_t> requested_bytes(const nlohmann::json& pv);

bool over_request(std::uint64_t used_bytes, std::uint64_t requested_bytes, int percent);

// What a measurement is news of, given the verdict of the last one (nullopt: none known, as
// after a leader change).
enum class UsageNews {
  none,           // nothing to tell: under, or still over since the last measurement
  crossed,        // was under, now over: a Warning Event
  over_on_start,  // over, with nothing known before: a Warning unless the same one is there
};
UsageNews usage_news(std::optional<bool> was_over, bool over);

// The Event's message: the same for every measurement of one crossing (the bytes change at
// every walk, the request and the threshold do not), so a new leader finds the one already
// posted.
std::string over_request_message(const std::string& request_text, int percent);

}  // namespace nfsprov::core
