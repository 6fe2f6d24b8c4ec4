#include <catch2/catch.hpp>

#include "provisioner/core/volume_usage.h"

using namespace nfsprov::core;
using nlohmann::json;

TEST_CASE("usageWarningPercent: default 100, 1-10000, anything else refused") {
  const json none = {{"parameters", json::object()}};
  const json half = {{"parameters", {{"usageWarningPercent", "50"}}}};
  CHECK(std::get<int>(usage_warning_percent(&none)) == 100);
  CHECK(std::get<int>(usage_warning_percent(nullptr)) == 100);
  CHECK(std::get<int>(usage_warning_percent(&half)) == 50);
  for (const char* bad : {"0", "10001", "-5", "5%", "", "1e2", "123456"}) {
    const json sc = {{"parameters", {{"usageWarningPercent", bad}}}};
    CHECK(std::get<Refusal>(usage_warning_percent(&sc)).reason == "InvalidParameter");
  }
}

TEST_CASE("a volume is over its request past the threshold, told once per crossing") {
  const json pv = {{"spec", {{"capacity", {{"storage", "1Ki"}}}}}};
  CHECK(requested_bytes(pv) == 1024u);
  CHECK_FALSE(requested_bytes(json::object()));
  CHECK_FALSE(requested_bytes({{"spec", {{"capacity", {{"storage", "lots"}}}}}}));
  CHECK_FALSE(over_request(1024, 1024, 100));
  CHECK(over_request(1025, 1024, 100));
  CHECK(over_request(513, 1024, 50));
  CHECK_FALSE(over_request(UINT64_MAX, UINT64_MAX, 10000));
  CHECK(usage_news(std::nullopt, true) == UsageNews::over_on_start);
  CHECK(usage_news(std::nullopt, false) == UsageNews::none);
  CHECK(usage_news(false, true) == UsageNews::crossed);
  CHECK(usage_news(true, true) == UsageNews::none);
  CHECK(usage_news(true, false) == UsageNews::none);
  CHECK(over_request_message("1Gi", 100) ==
        "the volume uses more than its request of 1Gi: NFS does not enforce it, the export's "
        "other volumes share the space");
  CHECK_THAT(over_request_message("1Gi", 80), Catch::StartsWith("the volume uses more than 80% "));
}
