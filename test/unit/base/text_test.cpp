// Go's bool syntax, UTC time stamps and random hex (provisioner/base/text.h).
#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "provisioner/base/text.h"

using namespace nfsprov::base;

TEST_CASE("bools are read as Go's strconv.ParseBool reads them") {
  for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"}) CHECK(parse_go_bool(yes) == true);
  for (const char* no : {"0", "f", "F", "FALSE", "false", "False"})
    CHECK(parse_go_bool(no) == false);
  for (const char* bad : {"", "yes", "tRUE", "2", " true", "on"}) CHECK_FALSE(parse_go_bool(bad));
}

TEST_CASE("UTC time stamps with 0, 3 or 6 digits of the second, truncated") {
  using namespace std::chrono;
  const sys_days day = year{2026} / November / 25;
  const auto when = day + 15h + 18min + 28s + 123456us;
  CHECK(utc_timestamp(when) == "2026-11-25T15:18:28Z");
  CHECK(utc_timestamp(when, 3) == "2026-11-25T15:18:28.123Z");
  CHECK(utc_timestamp(when, 6) == "2026-11-25T15:18:28.123456Z");
  CHECK(utc_timestamp(sys_days{year{1970} / January / 1}, 6) == "1970-01-01T00:00:00.000000Z");
  CHECK(utc_timestamp(day + 23h + 59min + 59s + 999999us, 3) == "2026-11-25T23:59:59.999Z");
}

TEST_CASE("random hex has the digits asked for and differs between calls") {
  CHECK(random_hex(0).empty());
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const std::string hex = random_hex(32);
    CHECK(hex.size() == 32);
    CHECK(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(hex);
  }
  CHECK(seen.size() == 20);
}
