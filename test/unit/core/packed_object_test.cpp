#include <catch2/catch.hpp>

#include "provisioner/core/packed_object.h"

using namespace nfsprov::core;
using nlohmann::json;

namespace {

// A bound claim as a real kube-apiserver lists it (less managedFields).
json bound_claim() {
  return json::parse(R"({
    "metadata": {
      "name": "www-sample-statefulset-0", "namespace": "default",
      "uid": "5911505b-7c4e-4f0e-9d6c-4a5b8b0f4c1d", "resourceVersion": "123456",
      "labels": {"app": "nginx"},
      "annotations": {
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
        "volume.beta.kubernetes.io/storage-provisioner": "k8s-sigs.io/nfs-subdir-external-provisioner",
        "volume.kubernetes.io/storage-provisioner": "k8s-sigs.io/nfs-subdir-external-provisioner"},
      "finalizers": ["kubernetes.io/pvc-protection"]},
    "spec": {
      "accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}},
      "storageClassName": "managed-nfs-storage", "volumeMode": "Filesystem",
      "volumeName": "pvc-5911505b-7c4e-4f0e-9d6c-4a5b8b0f4c1d"},
    "status": {"accessModes": ["ReadWriteMany"], "capacity": {"storage": "1Gi"}, "phase": "Bound"}
  })");
}

}  // namespace

TEST_CASE("packed objects: a claim comes back exactly, in well under half its text") {
  const json claim = bound_claim();
  const std::string packed = pack_object(claim);
  CHECK(packed[0] == kPackedTag);
  CHECK(is_packed(packed));
  CHECK(unpack_object(packed) == claim);
  CHECK(packed.size() * 2 < claim.dump().size());
  // Its uid and its volume's name are 18 bytes each, not 37 and 41: the same in uppercase,
  // which is not packed so (it would not come back the same), takes 42 more.
  json upper = claim;
  upper["metadata"]["uid"] = "5911505B-7C4E-4F0E-9D6C-4A5B8B0F4C1D";
  upper["spec"]["volumeName"] = "pvc-5911505B-7C4E-4F0E-9D6C-4A5B8B0F4C1D";
  CHECK(pack_object(upper).size() == packed.size() + 42);
  CHECK(unpack_object(pack_object(upper)) == upper);
}

TEST_CASE("packed objects: only canonical uids become bytes, and come back the same") {
  for (const char* text :
       {"5911505b-7c4e-4f0e-9d6c-4a5b8b0f4c1d", "pvc-5911505b-7c4e-4f0e-9d6c-4a5b8b0f4c1d",
        "5911505B-7C4E-4F0E-9D6C-4A5B8B0F4C1D", "5911505b7c4e-4f0e-9d6c-4a5b8b0f4c1d-",
        "pvc-5911505b-7c4e-4f0e-9d6c-4a5b8b0f4c1", "xvc-5911505b-7c4e-4f0e-9d6c-4a5b8b0f4c1d",
        "pvc-pvc-5911505b-7c4e-4f0e-9d6c-4a5b8b0f4c1d", "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff", "g911505b-7c4e-4f0e-9d6c-4a5b8b0f4c1d"}) {
    const json object = {{"uid", text}, {"list", {text, text}}};
    CHECK(unpack_object(pack_object(object)) == object);
  }
  CHECK_THROWS_AS(pack_object(json::binary({1, 2, 3})), json::exception);
}

TEST_CASE("packed objects: any JSON round-trips, codes and escapes included") {
  const json tricky = {
      {"\x80", "\xfe"},                      // strings that look like codes
      {"\xff", "\xff\xff"},                  // and like escaped strings
      {"\xffmetadata", "\xff\x80"},          // escape byte first, then anything
      {"metadata", {{"name", "metadata"}}},  // a word as key and as value
      {"numbers", {0, -1, 1.5, 18446744073709551615ULL, -9223372036854775807LL}},
      {"others", {nullptr, true, false, json::object(), json::array(), ""}},
      {"nested", json::array({json::array({"v1", "ReadWriteMany"}), {{"a", "b"}}})},
      {"text", std::string("ünïcödé, a nul\0inside", 25)},
  };
  CHECK(unpack_object(pack_object(tricky)) == tricky);
  for (const json& scalar : {json(42), json("v1"), json("\x81"), json(nullptr), json::array()})
    CHECK(unpack_object(pack_object(scalar)) == scalar);
}

TEST_CASE("packed objects: other strings are not taken for packed ones") {
  CHECK_FALSE(is_packed("claim/v1"));
  CHECK_FALSE(is_packed(std::string(1, kPackedTag)));
  CHECK_FALSE(is_packed("{}"));
  CHECK_THROWS_AS(unpack_object("plain"), json::exception);
  CHECK_THROWS_AS(unpack_object(std::string(1, kPackedTag) + "\xc1"), json::exception);
}
