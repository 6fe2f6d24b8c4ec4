// Decimal numbers, ports and "host:port" (provisioner/base/host_port.h): each was written
// several times before, and some copies disagreed; these are the behaviours they now all have.
#include <catch2/catch.hpp>

#include "provisioner/base/host_port.h"

using namespace nfsprov::base;

TEST_CASE("decimal numbers are digits only, up to their bound") {
  CHECK(parse_decimal("0", 10) == 0u);
  CHECK(parse_decimal("10", 10) == 10u);
  CHECK(parse_decimal("0010", 10) == 10u);
  CHECK_FALSE(parse_decimal("11", 10));
  CHECK(parse_decimal("18446744073709551615", UINT64_MAX) == UINT64_MAX);
  CHECK_FALSE(parse_decimal("18446744073709551616", UINT64_MAX));
  CHECK_FALSE(parse_decimal("99999999999999999999999", 4294967294u));
  for (const char* bad : {"", "-0", "+1", " 1", "1 ", "1.0", "1e2", "0x1"})
    CHECK_FALSE(parse_decimal(bad, 100));
}

TEST_CASE("ports are 0 to 65535 in decimal digits only, leading zeros allowed") {
  CHECK(parse_port("0") == 0);
  CHECK(parse_port("65535") == 65535);
  CHECK(parse_port("000080") == 80);
  for (const char* bad : {"", "-0", "+1", "65536", "99999999999", " 80", "80 ", "8o", "0x50"})
    CHECK_FALSE(parse_port(bad));
}

TEST_CASE("a URL authority splits at brackets or the last colon") {
  CHECK(split_authority("h").host == "h");
  CHECK_FALSE(split_authority("h").port);
  CHECK(split_authority("h:6443").host == "h");
  CHECK(split_authority("h:6443").port == "6443");
  CHECK(split_authority("h:").port == "");
  CHECK(split_authority("[::1]").host == "::1");
  CHECK_FALSE(split_authority("[::1]").port);
  CHECK(split_authority("[::1]:443").host == "::1");
  CHECK(split_authority("[::1]:443").port == "443");
  CHECK_THROWS_WITH(split_authority("[::1"), "has no ']' after its IPv6 address");
  CHECK_THROWS_WITH(split_authority("[::1]6443"), "has text after its IPv6 address");
}
