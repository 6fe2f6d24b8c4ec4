// The helpers every layer shares (provisioner/base/): each was written several times before,
// and some copies disagreed; these are the behaviours they now all have.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "provisioner/base/host_port.h"
#include "provisioner/base/json_fields.h"
#include "provisioner/base/sleep.h"
#include "provisioner/base/text.h"

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

TEST_CASE("sleep_for sleeps its time, or ends at once when stop is requested") {
  using namespace std::chrono;
  std::stop_source idle;
  auto start = steady_clock::now();
  CHECK(sleep_for(idle.get_token(), 20ms));
  CHECK(steady_clock::now() - start >= 20ms);

  std::stop_source stopped;
  stopped.request_stop();
  start = steady_clock::now();
  CHECK_FALSE(sleep_for(stopped.get_token(), 60s));
  CHECK(steady_clock::now() - start < 30s);

  std::stop_source later;
  std::jthread stopper([&later] {
    std::this_thread::sleep_for(10ms);
    later.request_stop();
  });
  start = steady_clock::now();
  CHECK_FALSE(sleep_for(later.get_token(), 60s));
  CHECK(steady_clock::now() - start < 30s);
}
