// StorageClass parameters: read and judged in one place (core/class_parameters.h).
#include <catch2/catch.hpp>

#include "provisioner/core/class_parameters.h"

using namespace nfsprov::core;
using nlohmann::json;

namespace {

json with(std::string_view name, json value) {
  json storage_class = {{"metadata", {{"name", "c"}}}, {"parameters", json::object()}};
  storage_class["parameters"][std::string(name)] = std::move(value);
  return storage_class;
}

template <class T>
std::string refusal_of(const Outcome<T>& outcome) {
  const auto* refusal = std::get_if<Refusal>(&outcome);
  REQUIRE(refusal != nullptr);
  CHECK(refusal->reason == "InvalidParameter");
  return refusal->message;
}

}  // namespace

TEST_CASE("class parameters: only a string value of a class counts", "[class_parameters]") {
  CHECK(class_parameter(nullptr, param::kServer) == std::nullopt);
  const json no_parameters = {{"metadata", {{"name", "c"}}}};
  CHECK(class_parameter(&no_parameters, param::kServer) == std::nullopt);
  const json odd = {{"parameters", "server=nas"}};
  CHECK(class_parameter(&odd, param::kServer) == std::nullopt);
  const json number = with(param::kNfsPort, 2049);
  CHECK(class_parameter(&number, param::kNfsPort) == std::nullopt);
  const json given = with(param::kServer, "nas.local");
  CHECK(class_parameter(&given, param::kServer) == "nas.local");
  CHECK(class_parameter(&given, param::kShare) == std::nullopt);
}

TEST_CASE("class parameters: a refusal names the parameter and the value, made printable",
          "[class_parameters]") {
  CHECK(invalid_parameter("onDelete", "x\ny", "is not one of delete, retain, archive") ==
        Refusal{"InvalidParameter",
                "StorageClass parameter onDelete \"x?y\" is not one of delete, retain, archive"});
}

TEST_CASE("class parameters: bools are Go's, absent is nullopt", "[class_parameters]") {
  CHECK(std::get<std::optional<bool>>(bool_parameter(nullptr, param::kArchiveOnDelete)) ==
        std::nullopt);
  for (const char* yes : {"1", "t", "TRUE", "true", "True"}) {
    const json c = with(param::kArchiveOnDelete, yes);
    CHECK(std::get<std::optional<bool>>(bool_parameter(&c, param::kArchiveOnDelete)) == true);
  }
  for (const char* no : {"0", "f", "FALSE", "false", "False"}) {
    const json c = with(param::kArchiveOnDelete, no);
    CHECK(std::get<std::optional<bool>>(bool_parameter(&c, param::kArchiveOnDelete)) == false);
  }
  const json bad = with(param::kAllowClaimSpecialModes, "yes");
  CHECK(refusal_of(bool_parameter(&bad, param::kAllowClaimSpecialModes)) ==
        "StorageClass parameter allowClaimSpecialModes \"yes\" is not true or false");
}

TEST_CASE("class parameters: ports are 1 to 65535", "[class_parameters]") {
  for (const auto& [text, port] :
       {std::pair{"1", 1}, {"2049", 2049}, {"65535", 65535}, {"020048", 20048}}) {
    const json c = with(param::kMountPort, text);
    CHECK(std::get<std::optional<int>>(port_parameter(&c, param::kMountPort)) == port);
  }
  for (const char* bad : {"0", "65536", "", "x", "-1", "+80", " 80", "2049 "}) {
    INFO(bad);
    const json c = with(param::kNfsPort, bad);
    CHECK(refusal_of(port_parameter(&c, param::kNfsPort)) ==
          "StorageClass parameter nfsPort \"" + std::string(bad) +
              "\" is not a port number (1..65535)");
  }
}

TEST_CASE("class parameters: whole numbers within their bounds", "[class_parameters]") {
  const auto read = [](const char* text) {
    const json c = with(param::kUsageWarningPercent, text);
    return number_parameter(&c, param::kUsageWarningPercent, 1, 10000,
                            "is not a whole number 1-10000");
  };
  CHECK(std::get<std::optional<std::uint32_t>>(read("1")) == 1u);
  CHECK(std::get<std::optional<std::uint32_t>>(read("10000")) == 10000u);
  CHECK(std::get<std::optional<std::uint32_t>>(read("080")) == 80u);
  for (const char* bad : {"0", "10001", "-5", "5%", "", "1e2", "123456", "99999999999999999999"})
    CHECK(refusal_of(read(bad)) == "StorageClass parameter usageWarningPercent \"" +
                                       std::string(bad) + "\" is not a whole number 1-10000");
}

TEST_CASE("class parameters: one of a set of words", "[class_parameters]") {
  enum class Policy { refuse, warn };
  const auto read = [](const json* c) {
    return choice_parameter<Policy>(c, param::kCapacityPolicy,
                                    {{"refuse", Policy::refuse}, {"warn", Policy::warn}},
                                    "is not refuse or warn");
  };
  CHECK(std::get<std::optional<Policy>>(read(nullptr)) == std::nullopt);
  const json refuse = with(param::kCapacityPolicy, "refuse");
  CHECK(std::get<std::optional<Policy>>(read(&refuse)) == Policy::refuse);
  const json upper = with(param::kCapacityPolicy, "Refuse");
  CHECK(refusal_of(read(&upper)) ==
        "StorageClass parameter capacityPolicy \"Refuse\" is not refuse or warn");
}
