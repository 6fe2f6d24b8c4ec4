// A claim's PV name and whether a PV is ours (core/volume_identity.h).
#include <catch2/catch.hpp>

#include "provisioner/core/volume_identity.h"

using namespace nfsprov::core;
using nlohmann::json;

TEST_CASE("volume identity: a claim's PV is pvc-<its uid>", "[volume_identity]") {
  constexpr const char* kUid = "5911505b-2f6e-4f4c-9d0b-0123456789ab";
  CHECK(volume_name_for_uid(kUid) == std::string("pvc-") + kUid);
  const json claim = {{"metadata", {{"namespace", "default"}, {"name", "www-0"}, {"uid", kUid}}}};
  CHECK(volume_name_for(claim) == volume_name_for_uid(kUid));
  CHECK(volume_name_for(json::object()) == "pvc-");
}

TEST_CASE("volume identity: ours is the provisioned-by annotation naming us", "[volume_identity]") {
  const auto pv = [](json annotations) {
    return json{{"metadata", {{"name", "pvc-1"}, {"annotations", std::move(annotations)}}}};
  };
  const std::string us = "k8s-sigs.io/nfs-subdir-external-provisioner";
  CHECK(provisioned_by(pv({{"pv.kubernetes.io/provisioned-by", us}}), us));
  CHECK_FALSE(provisioned_by(pv({{"pv.kubernetes.io/provisioned-by", "other.io/nfs"}}), us));
  CHECK_FALSE(provisioned_by(pv(json::object()), us));
  CHECK_FALSE(provisioned_by(pv({{"pv.kubernetes.io/provisioned-by", 1}}), us));
  CHECK_FALSE(provisioned_by(json{{"metadata", {{"name", "static"}}}}, us));
  // Absent is never ours, not even for an empty name.
  CHECK_FALSE(provisioned_by(pv(json::object()), ""));
}
