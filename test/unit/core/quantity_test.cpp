#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "provisioner/core/quantity.h"

using nfsprov::core::parse_quantity_bytes;
using nfsprov::core::Refusal;

namespace {

// The byte count, or nullopt when the text is refused.
std::optional<std::uint64_t> bytes(std::string_view text) {
  const auto parsed = parse_quantity_bytes(text);
  if (const auto* value = std::get_if<std::uint64_t>(&parsed)) return *value;
  return std::nullopt;
}

bool refused(std::string_view text) {
  return std::holds_alternative<Refusal>(parse_quantity_bytes(text));
}

// The refusal's message ("" when the text parsed).
std::string refusal_message(std::string_view text) {
  const auto parsed = parse_quantity_bytes(text);
  const auto* refusal = std::get_if<Refusal>(&parsed);
  return refusal != nullptr ? refusal->message : "";
}

}  // namespace

TEST_CASE("quantity: binary, decimal and exponent suffixes give bytes", "[quantity]") {
  CHECK(bytes("1Gi") == 1073741824ULL);
  CHECK(bytes("1Mi") == 1048576ULL);
  CHECK(bytes("1Ki") == 1024ULL);
  CHECK(bytes("2Ti") == 2ULL << 40);
  CHECK(bytes("1Ei") == 1ULL << 60);
  CHECK(bytes("500M") == 500000000ULL);
  CHECK(bytes("1k") == 1000ULL);
  CHECK(bytes("1G") == 1000000000ULL);
  CHECK(bytes("1E") == 1000000000000000000ULL);
  CHECK(bytes("1e3") == 1000ULL);
  CHECK(bytes("1E3") == 1000ULL);
  CHECK(bytes("5e+2") == 500ULL);
  CHECK(bytes("12345") == 12345ULL);
  CHECK(bytes("+7") == 7ULL);
  CHECK(bytes("0") == 0ULL);
  CHECK(bytes("0Gi") == 0ULL);
}

TEST_CASE("quantity: fractions round up to a whole byte", "[quantity]") {
  CHECK(bytes("1.5Gi") == 1610612736ULL);
  CHECK(bytes("0.5Ki") == 512ULL);
  CHECK(bytes("1.5") == 2ULL);
  CHECK(bytes(".5") == 1ULL);
  CHECK(bytes("1.") == 1ULL);
  CHECK(bytes("100m") == 1ULL);
  CHECK(bytes("1000m") == 1ULL);
  CHECK(bytes("1001m") == 2ULL);
  CHECK(bytes("1n") == 1ULL);
  CHECK(bytes("5e-1") == 1ULL);
  CHECK(bytes("1.25k") == 1250ULL);
  CHECK(bytes("0.000001Ei") == 1152921504607ULL);  // ceil(2^60 / 10^6)
}

TEST_CASE("quantity: malformed, negative and huge values are rejected", "[quantity]") {
  for (const char* bad : {"", "Gi", "abc", "1GB", "1gi", "1 Gi", "1.2.3", "--1", "1e", "e3",
                          "1e1.5", "1Gi ", " 1Gi", "1..", ".", "1Kii", "1e99999"}) {
    INFO(bad);
    CHECK(refused(bad));
  }
  CHECK(refused("-1Gi"));
  CHECK(refused("16Ei"));
  CHECK(refused("1e20"));
  CHECK(bytes("15Ei") == 15ULL << 60);
  CHECK(bytes("18446744073709551615") == 18446744073709551615ULL);
  CHECK(refused("18446744073709551616"));
  CHECK_THAT(refusal_message("1GB"), Catch::Contains("1GB"));
}
