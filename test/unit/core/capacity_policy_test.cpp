#include <catch2/catch.hpp>

#include "provisioner/core/capacity_policy.h"

using namespace nfsprov::core;
using nlohmann::json;
using Kind = CapacityVerdict::Kind;

namespace {

json with_policy(const char* value) {
  return {{"metadata", {{"name", "nfs"}}}, {"parameters", {{"capacityPolicy", value}}}};
}

const nfsprov::nfs::ExportUsage kUsage{1000, 600, 500};  // total, free, available

}  // namespace

TEST_CASE("capacity policy: warn by default, the three values, anything else refused",
          "[capacity]") {
  const json plain = {{"metadata", {{"name", "nfs"}}}};
  CHECK(std::get<CapacityPolicy>(capacity_policy(&plain)) == CapacityPolicy::warn);
  CHECK(std::get<CapacityPolicy>(capacity_policy(nullptr)) == CapacityPolicy::warn);
  const json refuse = with_policy("refuse"), warn = with_policy("warn"),
             ignore = with_policy("ignore");
  CHECK(std::get<CapacityPolicy>(capacity_policy(&refuse)) == CapacityPolicy::refuse);
  CHECK(std::get<CapacityPolicy>(capacity_policy(&warn)) == CapacityPolicy::warn);
  CHECK(std::get<CapacityPolicy>(capacity_policy(&ignore)) == CapacityPolicy::ignore);
  const json bad = with_policy("Refuse");
  const auto outcome = capacity_policy(&bad);
  const auto* refusal = std::get_if<Refusal>(&outcome);
  REQUIRE(refusal);
  CHECK(refusal->reason == "InvalidParameter");
  CHECK(refusal->message ==
        "StorageClass parameter capacityPolicy \"Refuse\" is not refuse, warn or ignore");
}

TEST_CASE("capacity verdict: the request against the space an unprivileged writer has",
          "[capacity]") {
  CHECK(judge_capacity(CapacityPolicy::refuse, 500, "500", kUsage, "s:/e").kind == Kind::fits);
  // 550 bytes fit the free space but not the available: refused.
  const auto refused = judge_capacity(CapacityPolicy::refuse, 550, "550", kUsage, "s:/e");
  CHECK(refused.kind == Kind::refuse);
  CHECK(refused.message.find("claim requests 550 (550 bytes), more than the 500 bytes free on "
                             "export s:/e (of 1000)") == 0);
  const auto warned = judge_capacity(CapacityPolicy::warn, 550, "550", kUsage, "s:/e");
  CHECK(warned.kind == Kind::warn);
  CHECK(warned.message.find("promise, not a quota") != std::string::npos);
  CHECK(judge_capacity(CapacityPolicy::ignore, 5000, "5000", kUsage, "s:/e").kind == Kind::fits);
  // The export did not answer: nothing to judge by.
  CHECK(judge_capacity(CapacityPolicy::refuse, 5000, "5000", std::nullopt, "s:/e").kind ==
        Kind::fits);
}

TEST_CASE("capacity verdict: growing a volume is judged by what it adds", "[capacity]") {
  CHECK(judge_growth(CapacityPolicy::refuse, 500, "1Gi", "1Gi+", kUsage, "s:/e").kind ==
        Kind::fits);
  const auto refused = judge_growth(CapacityPolicy::refuse, 600, "1Gi", "2Gi", kUsage, "s:/e");
  CHECK(refused.kind == Kind::refuse);
  CHECK(refused.message ==
        "growing the claim from 1Gi to 2Gi asks for 600 bytes more, more than the 500 bytes free "
        "on export s:/e (of 1000): refused by the class's capacityPolicy \"refuse\"; free space "
        "on the export, or lower the request again (down to the claim's current size)");
  const auto warned = judge_growth(CapacityPolicy::warn, 600, "1Gi", "2Gi", kUsage, "s:/e");
  CHECK(warned.kind == Kind::warn);
  CHECK(warned.message.find(": grown anyway (capacityPolicy \"warn\")") != std::string::npos);
  CHECK(judge_growth(CapacityPolicy::ignore, 6000, "1Gi", "2Gi", kUsage, "s:/e").kind ==
        Kind::fits);
}
