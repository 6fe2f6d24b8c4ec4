// Null-safe reads of API objects: a missing or mistyped field reads as null / "" instead of
// throwing, because objects from the API (or a user) may lack any optional field.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace nfsprov::base {

// object[key], or a null json when object is not an object or has no such key.
const nlohmann::json& field(const nlohmann::json& object, std::string_view key);
// object[key] when it is a string, else "".
std::string string_field(const nlohmann::json& object, std::string_view key);
// metadata[key] when it is a string, else "" (name, namespace, uid, resourceVersion).
std::string metadata_field(const nlohmann::json& object, std::string_view key);
// metadata.annotations[key] when it is a string, else nullopt.
std::optional<std::string> annotation_of(const nlohmann::json& object, std::string_view key);

}  // namespace nfsprov::base
