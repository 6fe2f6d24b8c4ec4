// ClaimExpander against the in-memory API and export: the PV first, then the claim, each write
// conditional on what was read, and nothing grown past what the class's capacityPolicy allows.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "provisioner/controller/claim_expander.h"
#include "provisioner/core/annotations.h"
#include "provisioner/kube/resource.h"
#include "test/fakes/work_rig.h"

using namespace nfsprov;
using controller::StepResult;
using nlohmann::json;

namespace {

constexpr const char* kPv = "pvc-u1";

struct World {
  explicit World(const json& parameters = json::object(), const char* pv_capacity = "1Gi")
      : rig(api, volumes), expander(rig.context()) {
    api.put(kube::kStorageClasses, fakes::storage_class("nfs", parameters));
    auto claim = fakes::claim("default", "data", "u1", "nfs", "3Gi");
    claim["spec"]["volumeName"] = kPv;
    claim["status"] = {{"phase", "Bound"}, {"capacity", {{"storage", "1Gi"}}}};
    api.put(kube::kPersistentVolumeClaims, claim);
    api.put(kube::kPersistentVolumes,
            {{"metadata",
              {{"name", kPv},
               {"annotations", {{std::string(core::kProvisionedBy), fakes::kProvisioner}}}}},
             {"spec",
              {{"capacity", {{"storage", pv_capacity}}},
               {"storageClassName", "nfs"},
               {"nfs", {{"server", "10.0.0.5"}, {"path", "/srv/nfs/default-data-pvc-u1"}}},
               {"claimRef", {{"namespace", "default"}, {"name", "data"}, {"uid", "u1"}}}}},
             {"status", {{"phase", "Bound"}}}});
  }

  // The step with the objects as cached: pv (when given) instead of the API's.
  StepResult expand(const json* cached_pv = nullptr) {
    const auto claim = *api.find(kube::kPersistentVolumeClaims, "default", "data");
    const auto pv = cached_pv ? *cached_pv : *api.find(kube::kPersistentVolumes, {}, kPv);
    const auto storage_class = *api.find(kube::kStorageClasses, {}, "nfs");
    return expander.expand("claim/default/data", claim, &pv, &storage_class);
  }
  json claim() const { return *api.find(kube::kPersistentVolumeClaims, "default", "data"); }
  std::string pv_capacity() const {
    return (*api.find(kube::kPersistentVolumes, {}, kPv))["spec"]["capacity"]["storage"];
  }

  fakes::FakeKubeApi api;
  fakes::FakeVolumeStore volumes;
  fakes::WorkRig rig;
  controller::ClaimExpander expander;
};

}  // namespace

TEST_CASE("expansion: a raised request raises the PV, then the claim", "[expansion]") {
  World world;

  REQUIRE(world.expand() == StepResult::done);

  CHECK(world.pv_capacity() == "3Gi");
  const json claim = world.claim();
  CHECK(claim["status"]["capacity"]["storage"] == "3Gi");
  // The resizer's entry is gone (an empty map, which the API server leaves out).
  CHECK(claim["status"].value("allocatedResourceStatuses", json::object()).empty());
  std::vector<fakes::FakeKubeApi::Call> calls;  // the Events' aside
  for (auto& call : world.api.calls())
    if (call.resource != "events") calls.push_back(std::move(call));
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].verb == "patch-status");
  CHECK(calls[1].verb == "patch");
  CHECK(calls[1].resource == "persistentvolumes");
  CHECK(calls[2].verb == "patch-status");
  CHECK(world.rig.events_with_reason("VolumeResizeSuccessful").size() == 1);
}

TEST_CASE("expansion: a PV big enough already only has the claim finished", "[expansion]") {
  World world(json::object(), "3Gi");  // a crash came between the two writes

  REQUIRE(world.expand() == StepResult::done);

  CHECK(world.api.count("patch", kube::kPersistentVolumes) == 0);
  CHECK(world.claim()["status"]["capacity"]["storage"] == "3Gi");
}

TEST_CASE("expansion: a stale cached PV is never written, and the retry works from the fresh one",
          "[expansion]") {
  World world;
  const json stale = *world.api.find(kube::kPersistentVolumes, {}, kPv);
  world.api.merge_patch(kube::kPersistentVolumes, {}, kPv,
                        {{"metadata", {{"labels", {{"a", "b"}}}}}});

  REQUIRE(world.expand(&stale) == StepResult::retry);
  CHECK(world.pv_capacity() == "1Gi");
  CHECK(world.claim()["status"]["capacity"]["storage"] == "1Gi");
  CHECK(world.rig.events_with_reason("VolumeResizeFailed").empty());  // not the user's business

  REQUIRE(world.expand() == StepResult::done);
  CHECK(world.pv_capacity() == "3Gi");
  CHECK(world.claim()["status"]["capacity"]["storage"] == "3Gi");
}

TEST_CASE("expansion: capacityPolicy refuse keeps a growth the export cannot hold", "[expansion]") {
  World world(json{{"capacityPolicy", "refuse"}});
  world.rig.share().set_usage(
      {.total_bytes = 4ULL << 30, .free_bytes = 1ULL << 30, .available_bytes = 1ULL << 30});

  REQUIRE(world.expand() == StepResult::done);
  REQUIRE(world.expand() == StepResult::done);

  CHECK(world.pv_capacity() == "1Gi");
  CHECK(world.api.count("patch", kube::kPersistentVolumes) == 0);
  CHECK(world.api.count("patch-status", kube::kPersistentVolumeClaims) == 0);
  CHECK(world.rig.events_with_reason("VolumeResizeFailed").size() == 1);
}
