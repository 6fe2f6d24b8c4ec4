// YAML documents as JSON values, to compare two renderings of an object field by field and
// print the difference readably.
#pragma once

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

namespace nfsprov::deploytest {

// Maps become objects, sequences arrays, an absent or null node null. Scalars stay strings:
// yaml-cpp does not keep YAML's types, so 8080 and "8080" compare equal (the real API server,
// which does tell them apart, judges them in the install tests).
nlohmann::json to_json(const YAML::Node& node);

}  // namespace nfsprov::deploytest
