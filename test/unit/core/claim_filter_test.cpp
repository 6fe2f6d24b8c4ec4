#include <catch2/catch.hpp>

#include "provisioner/core/claim_filter.h"

using namespace nfsprov::core;
using nlohmann::json;

namespace {

constexpr const char* kName = "example.com/nfs";

// A claim the PV controller has handed to us, as kube-controller-manager annotates it.
json claim() {
  return json::parse(R"({"metadata": {"name": "c", "namespace": "ns", "uid": "u",
                           "annotations": {"volume.kubernetes.io/storage-provisioner": "example.com/nfs",
                             "volume.beta.kubernetes.io/storage-provisioner": "example.com/nfs"}},
                         "spec": {"storageClassName": "nfs"}})");
}

json storage_class(const char* provisioner = kName) {
  return {{"metadata", {{"name", "nfs"}}}, {"provisioner", provisioner}};
}

}  // namespace

TEST_CASE("claim filter: our class, unbound, alive -> ready", "[claim]") {
  json c = storage_class();
  auto verdict = judge_claim(claim(), &c, kName);
  CHECK(verdict.state == ClaimState::ready);
  CHECK(to_string(verdict.state) == "ready");
}

TEST_CASE("claim filter: the class name comes from the spec, else the legacy annotation",
          "[claim]") {
  CHECK(claim_class_name(claim()) == "nfs");
  json legacy = claim();
  legacy["spec"].erase("storageClassName");
  legacy["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"] = "old";
  CHECK(claim_class_name(legacy) == "old");
  legacy["spec"]["storageClassName"] = "new";
  CHECK(claim_class_name(legacy) == "new");
  CHECK(claim_class_name(json::object()) == "");
}

TEST_CASE("claim filter: every reason not to provision", "[claim]") {
  json ours = storage_class();
  json theirs = storage_class("other.io/x");

  json deleted = claim();
  deleted["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  CHECK(judge_claim(deleted, &ours, kName).state == ClaimState::being_deleted);

  json bound = claim();
  bound["spec"]["volumeName"] = "pvc-u";
  auto verdict = judge_claim(bound, &ours, kName);
  CHECK(verdict.state == ClaimState::already_bound);
  CHECK_THAT(verdict.why, Catch::Contains("pvc-u"));

  json classless = claim();
  classless["spec"].erase("storageClassName");
  CHECK(judge_claim(classless, nullptr, kName).state == ClaimState::not_ours);

  CHECK(judge_claim(claim(), nullptr, kName).state == ClaimState::no_class_yet);
  verdict = judge_claim(claim(), &theirs, kName);
  CHECK(verdict.state == ClaimState::not_ours);
  CHECK_THAT(verdict.why, Catch::Contains("other.io/x"));
}

TEST_CASE("claim filter: WaitForFirstConsumer waits for the selected node", "[claim]") {
  json wffc = storage_class();
  wffc["volumeBindingMode"] = "WaitForFirstConsumer";
  json c = claim();
  CHECK(judge_claim(c, &wffc, kName).state == ClaimState::waiting_for_consumer);
  c["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] = "pi-1";
  CHECK(judge_claim(c, &wffc, kName).state == ClaimState::ready);
  json immediate = storage_class();
  immediate["volumeBindingMode"] = "Immediate";
  CHECK(judge_claim(claim(), &immediate, kName).state == ClaimState::ready);
}

TEST_CASE("claim filter: only a claim the PV controller handed to us is provisioned", "[claim]") {
  json ours = storage_class();
  json c = claim();
  c["metadata"]["annotations"].erase("volume.kubernetes.io/storage-provisioner");
  c["metadata"]["annotations"].erase("volume.beta.kubernetes.io/storage-provisioner");
  auto verdict = judge_claim(c, &ours, kName);
  CHECK(verdict.state == ClaimState::not_handed_over);
  CHECK(to_string(verdict.state) == "not_handed_over");

  // Either name is enough (the library of nfs-subdir v4 reads the beta one only).
  c["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-provisioner"] = kName;
  CHECK(judge_claim(c, &ours, kName).state == ClaimState::ready);
  c["metadata"]["annotations"].erase("volume.beta.kubernetes.io/storage-provisioner");
  c["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] = kName;
  CHECK(judge_claim(c, &ours, kName).state == ClaimState::ready);

  c["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] = "other.io/x";
  verdict = judge_claim(c, &ours, kName);
  CHECK(verdict.state == ClaimState::not_ours);
  CHECK_THAT(verdict.why, Catch::Contains("other.io/x"));
}
