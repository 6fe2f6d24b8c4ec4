#include "provisioner/core/json_fields.h"

namespace nfsprov::core {

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

std::optional<std::string> annotation_of(const nlohmann::json& object, std::string_view key) {
  const auto& value = field(field(field(object, "metadata"), "annotations"), key);
  if (!value.is_string()) return std::nullopt;
  return value.get<std::string>();
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace nfsprov::core
