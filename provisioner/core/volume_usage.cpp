#include "provisioner/core/volume_usage.h"

#include "provisioner/core/class_parameters.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/quantity.h"

namespace nfsprov::core {

Outcome<int> usage_warning_percent(const nlohmann::json* storage_class) {
  const auto percent = number_parameter(storage_class, param::kUsageWarningPercent, 1, 10000,
                                        "is not a whole number 1-10000");
  if (auto* refusal = std::get_if<Refusal>(&percent)) return *refusal;
  return static_cast<int>(std::get<std::optional<std::uint32_t>>(percent).value_or(100));
}

std::optional<std::uint64_t> requested_bytes(const nlohmann::json& pv) {
  const std::string text = string_field(field(field(pv, "spec"), "capacity"), "storage");
  if (text.empty()) return std::nullopt;
  const auto bytes = parse_quantity_bytes(text);
  if (const auto* value = std::get_if<std::uint64_t>(&bytes)) return *value;
  return std::nullopt;
}

bool over_request(std::uint64_t used_bytes, std::uint64_t requested_bytes, int percent) {
  // In long double: a 16 EiB request times 10000 does not fit in 64 bits.
  return static_cast<long double>(used_bytes) * 100 >
         static_cast<long double>(requested_bytes) * percent;
}

UsageNews usage_news(std::optional<bool> was_over, bool over) {
  if (!over) return UsageNews::none;
  if (!was_over) return UsageNews::over_on_start;
  return *was_over ? UsageNews::none : UsageNews::crossed;
}

std::string over_request_message(const std::string& request_text, int percent) {
  return "the volume uses more than " +
         (percent == 100 ? std::string("its request of ")
                         : std::to_string(percent) + "% of its request of ") +
         request_text + ": NFS does not enforce it, the export's other volumes share the space";
}

}  // namespace nfsprov::core
