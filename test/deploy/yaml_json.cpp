#include "test/deploy/yaml_json.h"

namespace nfsprov::deploytest {

nlohmann::json to_json(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  if (node.IsScalar()) return node.as<std::string>();
  if (node.IsSequence()) {
    auto array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(to_json(item));
    return array;
  }
  auto object = nlohmann::json::object();
  for (const auto& entry : node) object[entry.first.as<std::string>()] = to_json(entry.second);
  return object;
}

}  // namespace nfsprov::deploytest
