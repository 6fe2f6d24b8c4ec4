#include "provisioner/core/class_parameters.h"

#include "provisioner/base/host_port.h"
#include "provisioner/base/text.h"
#include "provisioner/core/json_fields.h"

namespace nfsprov::core {

std::optional<std::string> class_parameter(const nlohmann::json* storage_class,
                                           std::string_view name) {
  if (storage_class == nullptr) return std::nullopt;
  const auto& value = field(field(*storage_class, "parameters"), name);
  if (!value.is_string()) return std::nullopt;
  return value.get<std::string>();
}

Refusal invalid_parameter(std::string_view name, std::string_view value, std::string_view why) {
  return {"InvalidParameter", "StorageClass parameter " + std::string(name) + " \"" +
                                  printable(value) + "\" " + std::string(why)};
}

Outcome<std::optional<bool>> bool_parameter(const nlohmann::json* storage_class,
                                            std::string_view name) {
  const auto text = class_parameter(storage_class, name);
  if (!text) return std::optional<bool>{};
  if (const auto value = base::parse_go_bool(*text)) return std::optional<bool>{*value};
  return invalid_parameter(name, *text, "is not true or false");
}

Outcome<std::optional<int>> port_parameter(const nlohmann::json* storage_class,
                                           std::string_view name) {
  const auto text = class_parameter(storage_class, name);
  if (!text) return std::optional<int>{};
  const auto port = base::parse_port(*text);
  if (!port || *port == 0) return invalid_parameter(name, *text, "is not a port number (1..65535)");
  return std::optional<int>{*port};
}

Outcome<std::optional<std::uint32_t>> number_parameter(const nlohmann::json* storage_class,
                                                       std::string_view name, std::uint32_t min,
                                                       std::uint32_t max, std::string_view why) {
  const auto text = class_parameter(storage_class, name);
  if (!text) return std::optional<std::uint32_t>{};
  const auto value = base::parse_decimal(*text, max);
  if (!value || *value < min) return invalid_parameter(name, *text, why);
  return std::optional<std::uint32_t>{static_cast<std::uint32_t>(*value)};
}

}  // namespace nfsprov::core
