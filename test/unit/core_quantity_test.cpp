#include <catch2/catch.hpp>

#include "provisioner/core/quantity.h"

using nfsprov::core::parse_quantity_bytes;
using nfsprov::core::QuantityError;

TEST_CASE("quantity: binary, decimal and exponent suffixes give bytes", "[quantity]") {
  CHECK(parse_quantity_bytes("1Gi") == 1073741824ULL);
  CHECK(parse_quantity_bytes("1Mi") == 1048576ULL);
  CHECK(parse_quantity_bytes("1Ki") == 1024ULL);
  CHECK(parse_quantity_bytes("2Ti") == 2ULL << 40);
  CHECK(parse_quantity_bytes("1Ei") == 1ULL << 60);
  CHECK(parse_quantity_bytes("500M") == 500000000ULL);
  CHECK(parse_quantity_bytes("1k") == 1000ULL);
  CHECK(parse_quantity_bytes("1G") == 1000000000ULL);
  CHECK(parse_quantity_bytes("1E") == 1000000000000000000ULL);
  CHECK(parse_quantity_bytes("1e3") == 1000ULL);
  CHECK(parse_quantity_bytes("1E3") == 1000ULL);
  CHECK(parse_quantity_bytes("5e+2") == 500ULL);
  CHECK(parse_quantity_bytes("12345") == 12345ULL);
  CHECK(parse_quantity_bytes("+7") == 7ULL);
  CHECK(parse_quantity_bytes("0") == 0ULL);
  CHECK(parse_quantity_bytes("0Gi") == 0ULL);
}

TEST_CASE("quantity: fractions round up to a whole byte", "[quantity]") {
  CHECK(parse_quantity_bytes("1.5Gi") == 1610612736ULL);
  CHECK(parse_quantity_bytes("0.5Ki") == 512ULL);
  CHECK(parse_quantity_bytes("1.5") == 2ULL);
  CHECK(parse_quantity_bytes(".5") == 1ULL);
  CHECK(parse_quantity_bytes("1.") == 1ULL);
  CHECK(parse_quantity_bytes("100m") == 1ULL);
  CHECK(parse_quantity_bytes("1000m") == 1ULL);
  CHECK(parse_quantity_bytes("1001m") == 2ULL);
  CHECK(parse_quantity_bytes("1n") == 1ULL);
  CHECK(parse_quantity_bytes("5e-1") == 1ULL);
  CHECK(parse_quantity_bytes("1.25k") == 1250ULL);
  CHECK(parse_quantity_bytes("0.000001Ei") == 1152921504607ULL);  // ceil(2^60 / 10^6)
}

TEST_CASE("quantity: malformed, negative and huge values are rejected", "[quantity]") {
  for (const char* bad : {"", "Gi", "abc", "1GB", "1gi", "1 Gi", "1.2.3", "--1", "1e", "e3",
                          "1e1.5", "1Gi ", " 1Gi", "1..", ".", "1Kii", "1e99999"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_quantity_bytes(bad), QuantityError);
  }
  CHECK_THROWS_AS(parse_quantity_bytes("-1Gi"), QuantityError);
  CHECK_THROWS_AS(parse_quantity_bytes("16Ei"), QuantityError);
  CHECK_THROWS_AS(parse_quantity_bytes("1e20"), QuantityError);
  CHECK(parse_quantity_bytes("15Ei") == 15ULL << 60);
  CHECK(parse_quantity_bytes("18446744073709551615") == 18446744073709551615ULL);
  CHECK_THROWS_AS(parse_quantity_bytes("18446744073709551616"), QuantityError);
  CHECK_THROWS_WITH(parse_quantity_bytes("1GB"), Catch::Contains("1GB"));
}
