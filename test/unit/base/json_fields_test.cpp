// Null-safe reads of JSON fields (provisioner/base/json_fields.h): every layer's one copy.
#include <catch2/catch.hpp>

#include "provisioner/base/json_fields.h"

using namespace nfsprov::base;
using nlohmann::json;

TEST_CASE("JSON fields read as null or empty when absent or of another type, never throw") {
  const json pv = {
      {"metadata",
       {{"name", "pvc-1"}, {"resourceVersion", 7}, {"annotations", {{"a", "x"}, {"b", 1}}}}},
      {"spec", "not an object"}};
  CHECK(field(pv, "metadata").is_object());
  CHECK(field(pv, "status").is_null());
  CHECK(field(json::array(), "metadata").is_null());
  CHECK(field(pv, "spec").is_string());
  CHECK(field(field(pv, "spec"), "nfs").is_null());
  CHECK(string_field(field(pv, "metadata"), "name") == "pvc-1");
  CHECK(string_field(pv, "metadata").empty());
  CHECK(metadata_field(pv, "name") == "pvc-1");
  CHECK(metadata_field(pv, "resourceVersion").empty());  // a number, not a string
  CHECK(metadata_field(json(), "name").empty());
  CHECK(metadata_field(json{{"metadata", "x"}}, "name").empty());
  CHECK(annotation_of(pv, "a") == "x");
  CHECK_FALSE(annotation_of(pv, "b"));
  CHECK_FALSE(annotation_of(pv, "c"));
  CHECK_FALSE(annotation_of(json::array(), "a"));
}
