// labelSelector and fieldSelector query parameters, parsed once and matched against objects.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nfsprov::testing::apiserver {

class Selector {
 public:
  // Throws StatusError 400 on syntax the real server rejects.
  static Selector parse_labels(const std::string& text);
  // Supports metadata.name, metadata.namespace and (for claims/volumes) status.phase,
  // spec.volumeName, with = == !=.
  static Selector parse_fields(const std::string& text);

  bool matches(const nlohmann::json& object) const;
  bool empty() const { return requirements_.empty(); }

 private:
  enum class Op { equals, not_equals, in, not_in, exists, not_exists };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  // "k!=v", "k==v", "k=v" (shared by label and field selectors); false for other terms.
  static bool parse_equality(const std::string& term, Requirement& r);

  bool fields_ = false;
  std::vector<Requirement> requirements_;
};

}  // namespace nfsprov::testing::apiserver
