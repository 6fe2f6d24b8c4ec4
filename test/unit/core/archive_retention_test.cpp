#include <catch2/catch.hpp>

#include "provisioner/core/archive_retention.h"

using namespace nfsprov::core;
using nlohmann::json;
using std::chrono::seconds;

TEST_CASE("parse_age reads 30d, 12h, 1d12h, 90m, 45s and refuses the rest") {
  CHECK(parse_age("30d") == seconds(30 * 86400));
  CHECK(parse_age("12h") == seconds(12 * 3600));
  CHECK(parse_age("1d12h") == seconds(36 * 3600));
  CHECK(parse_age("90m") == seconds(5400));
  CHECK(parse_age("45s") == seconds(45));
  for (const char* bad :
       {"", "30", "d", "1h1d", "1d1d", "0d", "-1d", "1.5d", "1w", "30 d", "99999999999d", "1d "})
    CHECK_FALSE(parse_age(bad));
  CHECK(format_age(seconds(3 * 86400 + 4 * 3600 + 5)) == "3d4h");
  CHECK(format_age(seconds(312)) == "5m12s");
  CHECK(format_age(seconds(0)) == "0s");
}

TEST_CASE("archiveRetention: absent keeps forever, a bad value is refused") {
  const json keep = {{"parameters", json::object()}};
  const json month = {{"parameters", {{"archiveRetention", "30d"}}}};
  const json bad = {{"parameters", {{"archiveRetention", "a month"}}}};
  CHECK(std::get<std::optional<seconds>>(archive_retention(&keep)) == std::nullopt);
  CHECK(std::get<std::optional<seconds>>(archive_retention(nullptr)) == std::nullopt);
  CHECK(std::get<std::optional<seconds>>(archive_retention(&month)) == seconds(30 * 86400));
  const auto refusal = std::get<Refusal>(archive_retention(&bad));
  CHECK(refusal.reason == "InvalidParameter");
  CHECK_THAT(refusal.message, Catch::Contains("\"a month\""));
}

TEST_CASE("an export's archives follow its most patient class") {
  CHECK(export_retention({}) == std::nullopt);
  CHECK(export_retention({seconds(10), seconds(30)}) == seconds(30));
  CHECK(export_retention({seconds(10), std::nullopt}) == std::nullopt);
}
