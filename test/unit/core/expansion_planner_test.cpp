#include <catch2/catch.hpp>

#include "provisioner/core/expansion_planner.h"

using namespace nfsprov::core;
using nlohmann::json;

namespace {

constexpr const char* kName = "example.com/nfs";

// A Bound claim of 1Gi whose user now asks for `request`, as the API shows it.
json claim(const char* request = "2Gi", const char* capacity = "1Gi") {
  return {{"metadata", {{"name", "c"}, {"namespace", "ns"}, {"uid", "u1"}}},
          {"spec",
           {{"storageClassName", "nfs"},
            {"volumeName", "pvc-u1"},
            {"resources", {{"requests", {{"storage", request}}}}}}},
          {"status", {{"phase", "Bound"}, {"capacity", {{"storage", capacity}}}}}};
}

json volume(const char* capacity = "1Gi", const char* by = kName) {
  return {{"metadata",
           {{"name", "pvc-u1"},
            {"resourceVersion", "7"},
            {"annotations", {{"pv.kubernetes.io/provisioned-by", by}}}}},
          {"spec", {{"capacity", {{"storage", capacity}}}, {"claimRef", {{"uid", "u1"}}}}}};
}

json storage_class(const char* provisioner = kName) {
  return {{"metadata", {{"name", "nfs"}}}, {"provisioner", provisioner}};
}

}  // namespace

TEST_CASE("expansion: a raised request raises the PV first, to the request as written",
          "[expansion]") {
  const json pv = volume(), sc = storage_class();
  const auto d = plan_expansion(claim("2Gi"), &pv, &sc, kName);
  CHECK(d.step == ExpansionStep::raise_volume);
  CHECK(d.new_size == "2Gi");
  // Units are compared by bytes, and the string is kept: 1500M is more than 1Gi.
  CHECK(plan_expansion(claim("1500M"), &pv, &sc, kName).new_size == "1500M");
}

TEST_CASE("expansion: a PV already big enough (a crash after its raise) only finishes the claim",
          "[expansion]") {
  const json pv = volume("2Gi"), sc = storage_class();
  const auto d = plan_expansion(claim("2Gi"), &pv, &sc, kName);
  CHECK(d.step == ExpansionStep::finish_claim);
  CHECK(d.new_size == "2Gi");
  // The claim gets what the volume has, even when that is more than it asks for now.
  const json bigger = volume("3Gi");
  CHECK(plan_expansion(claim("2Gi"), &bigger, &sc, kName) ==
        ExpansionDecision{ExpansionStep::finish_claim, "3Gi", {}});
}

TEST_CASE("expansion: nothing shrinks, and an equal request is no expansion", "[expansion]") {
  const json sc = storage_class();
  const json pv = volume("2Gi");
  CHECK(plan_expansion(claim("1Gi", "2Gi"), &pv, &sc, kName).step == ExpansionStep::none);
  CHECK(plan_expansion(claim("2Gi", "2Gi"), &pv, &sc, kName).step == ExpansionStep::none);
  CHECK(plan_expansion(claim("2048Mi", "2Gi"), &pv, &sc, kName).step == ExpansionStep::none);
  // A request lowered below the PV (a failed expansion taken back) leaves the PV alone.
  const json big = volume("5Gi");
  const auto d = plan_expansion(claim("3Gi", "1Gi"), &big, &sc, kName);
  CHECK(d.step == ExpansionStep::finish_claim);
  CHECK(d.new_size == "5Gi");
}

TEST_CASE("expansion: only Bound claims on PVs and classes of ours", "[expansion]") {
  const json pv = volume(), sc = storage_class();
  CHECK(plan_expansion(claim(), nullptr, &sc, kName).step == ExpansionStep::none);
  CHECK(plan_expansion(claim(), &pv, nullptr, kName).step == ExpansionStep::none);
  const json other_sc = storage_class("other.io/x");
  CHECK(plan_expansion(claim(), &pv, &other_sc, kName).step == ExpansionStep::none);
  const json static_pv = volume("1Gi", "");
  const auto d = plan_expansion(claim(), &static_pv, &sc, kName);
  CHECK(d.step == ExpansionStep::none);
  CHECK(d.why.find("not provisioned by us") != std::string::npos);
  json theirs = volume();
  theirs["spec"]["claimRef"]["uid"] = "u2";
  CHECK(plan_expansion(claim(), &theirs, &sc, kName).step == ExpansionStep::none);
  json pending = claim();
  pending["status"]["phase"] = "Pending";
  CHECK(plan_expansion(pending, &pv, &sc, kName).step == ExpansionStep::none);
  json deleting = claim();
  deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  CHECK(plan_expansion(deleting, &pv, &sc, kName).step == ExpansionStep::none);
  json other_volume = claim();
  other_volume["spec"]["volumeName"] = "pvc-u9";
  CHECK(plan_expansion(other_volume, &pv, &sc, kName).step == ExpansionStep::none);
}

TEST_CASE("expansion: quantities that do not parse change nothing", "[expansion]") {
  const json pv = volume(), sc = storage_class();
  CHECK(plan_expansion(claim("lots"), &pv, &sc, kName).step == ExpansionStep::none);
  json no_status = claim();
  no_status.erase("status");
  no_status["status"] = {{"phase", "Bound"}};
  CHECK(plan_expansion(no_status, &pv, &sc, kName).step == ExpansionStep::none);
  const json bad_pv = volume("x");
  CHECK(plan_expansion(claim(), &bad_pv, &sc, kName).step == ExpansionStep::none);
}
