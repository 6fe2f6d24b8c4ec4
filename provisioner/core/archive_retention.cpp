#include "provisioner/core/archive_retention.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "provisioner/core/class_parameters.h"
#include "provisioner/core/json_fields.h"

namespace nfsprov::core {

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMaxSeconds = 100LL * 366 * kDay;
constexpr std::array<std::pair<char, std::int64_t>, 4> kUnits{
    {{'d', kDay}, {'h', 3600}, {'m', 60}, {'s', 1}}};

}  // namespace

std::optional<std::chrono::seconds> parse_age(std::string_view text) {
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // units must come largest first, each at most once
  std::size_t i = 0;
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    std::int64_t number = 0;
    const std::size_t digits_from = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxSeconds) return std::nullopt;
      ++i;
    }
    if (i == digits_from || i == text.size()) return std::nullopt;
    std::size_t unit = next_unit;
    while (unit < kUnits.size() && kUnits[unit].first != text[i]) ++unit;
    if (unit == kUnits.size()) return std::nullopt;
    total += number * kUnits[unit].second;
    if (total > kMaxSeconds) return std::nullopt;
    next_unit = unit + 1;
    ++i;
  }
  if (total == 0) return std::nullopt;
  return std::chrono::seconds(total);
}

std::string format_age(std::chrono::seconds age) {
  std::int64_t left = std::max<std::int64_t>(0, age.count());
  std::string text;
  int parts = 0;
  for (const auto& [unit, seconds] : kUnits) {
    const std::int64_t n = left / seconds;
    left %= seconds;
    if (n == 0 && parts == 0) continue;
    if (n != 0) text += std::to_string(n) + unit;
    if (++parts == 2) break;
  }
  return text.empty() ? "0s" : text;
}

Outcome<std::optional<std::chrono::seconds>> archive_retention(
    const nlohmann::json* storage_class) {
  const auto value = class_parameter(storage_class, param::kArchiveRetention);
  if (!value) return std::optional<std::chrono::seconds>{};
  if (const auto age = parse_age(*value)) return std::optional<std::chrono::seconds>{*age};
  return invalid_parameter(param::kArchiveRetention, *value,
                           "is not an age such as 30d, 12h or 1d12h");
}

std::optional<std::chrono::seconds> export_retention(
    const std::vector<std::optional<std::chrono::seconds>>& class_retentions) {
  std::optional<std::chrono::seconds> longest;
  for (const auto& retention : class_retentions) {
    if (!retention) return std::nullopt;
    longest = std::max(longest.value_or(*retention), *retention);
  }
  return longest;
}

}  // namespace nfsprov::core
