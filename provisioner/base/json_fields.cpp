#include "provisioner/base/json_fields.h"

namespace nfsprov::base {

const nlohmann::json& field(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kNull;  // immutable: the shared "absent" value
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string string_field(const nlohmann::json& object, std::string_view key) {
  const auto& value = field(object, key);
  return value.is_string() ? value.get<std::string>() : std::string{};
}

std::string metadata_field(const nlohmann::json& object, std::string_view key) {
  return string_field(field(object, "metadata"), key);
}

std::optional<std::string> annotation_of(const nlohmann::json& object, std::string_view key) {
  const auto& value = field(field(field(object, "metadata"), "annotations"), key);
  if (!value.is_string()) return std::nullopt;
  return value.get<std::string>();
}

}  // namespace nfsprov::base
