// VolumeReclaimer, one step at a time, against the in-memory API and export: each of the
// class's actions on the directory, then the finalizer and the PV, and the cases that must
// leave a volume alone.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "provisioner/controller/lease_fence.h"
#include "provisioner/controller/volume_reclaimer.h"
#include "provisioner/core/annotations.h"
#include "provisioner/kube/resource.h"
#include "test/fakes/work_rig.h"

using namespace nfsprov;
using controller::StepResult;
using nlohmann::json;

namespace {

constexpr const char* kDirectory = "default-data-pvc-u1";
constexpr const char* kPv = "pvc-u1";

// A Released PV of ours on the rig's export, as our provisioning made it.
json released_volume(const std::string& provisioned_by = fakes::kProvisioner) {
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolume"},
          {"metadata",
           {{"name", kPv},
            {"annotations", {{std::string(core::kProvisionedBy), provisioned_by}}},
            {"finalizers", {std::string(core::kProvisionerFinalizer)}}}},
          {"spec",
           {{"storageClassName", "nfs"},
            {"persistentVolumeReclaimPolicy", "Delete"},
            {"nfs", {{"server", "10.0.0.5"}, {"path", std::string("/srv/nfs/") + kDirectory}}},
            {"claimRef", {{"namespace", "default"}, {"name", "data"}, {"uid", "u1"}}}}},
          {"status", {{"phase", "Released"}}}};
}

struct World {
  explicit World(const json& parameters = {{"archiveOnDelete", "false"}},
                 controller::ControllerOptions options = fakes::rig_options())
      : rig(api, volumes, std::move(options)),
        reclaimer(rig.context(), core::DeletionPlanner(controller::defaults_of(rig.options))) {
    api.put(kube::kStorageClasses, fakes::storage_class("nfs", parameters));
    rig.share().create_directory(kDirectory);
    rig.share().write_file(std::string(kDirectory) + "/data");
    pv = api.put(kube::kPersistentVolumes, released_volume());
  }

  // The step with the PV as cached (pv) and the class as the API has it now.
  StepResult reclaim() {
    const auto storage_class = api.find(kube::kStorageClasses, {}, "nfs");
    return reclaimer.reclaim(std::string("volume/") + kPv, pv,
                             storage_class ? &*storage_class : nullptr);
  }
  bool pv_exists() const { return api.find(kube::kPersistentVolumes, {}, kPv).has_value(); }

  fakes::FakeKubeApi api;
  fakes::FakeVolumeStore volumes;
  fakes::WorkRig rig;
  controller::VolumeReclaimer reclaimer;
  json pv;
};

}  // namespace

TEST_CASE("reclaim: archiveOnDelete false removes the directory, then the PV", "[reclaim]") {
  World world(json{{"archiveOnDelete", "false"}});

  REQUIRE(world.reclaim() == StepResult::done);

  CHECK(world.rig.share().paths().empty());
  CHECK_FALSE(world.pv_exists());
  // The finalizer went first, marked reclaimed in the same write; then the DELETE.
  const auto calls = world.api.calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].verb == "update");
  CHECK(calls[0].body["metadata"]["annotations"].contains(std::string(core::kReclaimedAnnotation)));
  CHECK(calls[1].verb == "delete");
}

TEST_CASE("reclaim: archiving renames the directory with everything in it", "[reclaim]") {
  World world(json{{"archiveOnDelete", "true"}});

  REQUIRE(world.reclaim() == StepResult::done);

  CHECK_FALSE(world.rig.share().exists(kDirectory));
  CHECK(world.rig.share().exists(std::string("archived-") + kDirectory + "/data"));
  CHECK_FALSE(world.pv_exists());
}

TEST_CASE("reclaim: an archive is never overwritten", "[reclaim]") {
  World world(json{{"archiveOnDelete", "true"}});
  const std::string old_archive = std::string("archived-") + kDirectory;
  world.rig.share().create_directory(old_archive);
  world.rig.share().write_file(old_archive + "/older");

  REQUIRE(world.reclaim() == StepResult::done);

  CHECK(world.rig.share().exists(old_archive + "/older"));
  CHECK_FALSE(world.rig.share().exists(old_archive + "/data"));
  CHECK_FALSE(world.rig.share().exists(kDirectory));
  CHECK_FALSE(world.pv_exists());
}

TEST_CASE("reclaim: onDelete retain keeps the directory and deletes the PV", "[reclaim]") {
  World world(json{{"onDelete", "retain"}});

  REQUIRE(world.reclaim() == StepResult::done);

  CHECK(world.rig.share().exists(std::string(kDirectory) + "/data"));
  CHECK_FALSE(world.pv_exists());
}

TEST_CASE("reclaim: a directory already gone is success", "[reclaim]") {
  for (const json& parameters :
       {json{{"archiveOnDelete", "false"}}, json{{"archiveOnDelete", "true"}}}) {
    World world(parameters);
    REQUIRE(world.rig.share().remove_tree(kDirectory));

    REQUIRE(world.reclaim() == StepResult::done);

    CHECK(world.rig.share().paths().empty());
    CHECK_FALSE(world.pv_exists());
    CHECK_THAT(world.rig.log_text(), Catch::Contains("already gone"));
  }
}

TEST_CASE("reclaim: the DELETE never removes a recreated namesake", "[reclaim][uid]") {
  World world;
  // Our part was done (the annotation) but the DELETE was not sent; meanwhile a PV of the same
  // name and another uid was made.
  world.pv["metadata"]["annotations"][std::string(core::kReclaimedAnnotation)] = "yes";
  world.pv["metadata"]["uid"] = "uid-of-the-old-one";

  REQUIRE(world.reclaim() == StepResult::done);

  REQUIRE(world.api.count("delete", kube::kPersistentVolumes) == 1);
  CHECK(world.pv_exists());
  CHECK(world.rig.share().exists(kDirectory));
}

TEST_CASE("reclaim: a PV another provisioner made is never touched", "[reclaim]") {
  World world;
  world.pv = world.api.put(kube::kPersistentVolumes, released_volume("other.io/nfs"));

  REQUIRE(world.reclaim() == StepResult::done);

  CHECK(world.api.calls().empty());
  CHECK(world.volumes.lends() == 0);
}

TEST_CASE("reclaim: a stale cached PV is retried from a fresh read", "[reclaim]") {
  World world;
  // Someone changed the PV after the cache saw it.
  world.api.merge_patch(kube::kPersistentVolumes, {}, kPv,
                        {{"metadata", {{"labels", {{"a", "b"}}}}}});

  REQUIRE(world.reclaim() == StepResult::done);

  CHECK(world.api.count("update", kube::kPersistentVolumes) == 2);  // one Conflict
  CHECK(world.api.count("get", kube::kPersistentVolumes) == 1);
  CHECK_FALSE(world.pv_exists());
}

TEST_CASE("reclaim: a failed removal is retried with a Warning and keeps the PV", "[reclaim]") {
  World world;
  world.rig.share().set_fault([](std::string_view op, std::string_view path) {
    if (op == "remove_tree" && path == kDirectory)
      throw nfs::NfsError("rmdir", std::string(path), "10.0.0.5", EACCES);
  });

  REQUIRE(world.reclaim() == StepResult::retry);

  CHECK(world.pv_exists());
  CHECK(world.api.count("update", kube::kPersistentVolumes) == 0);
  CHECK(world.rig.events_with_reason("VolumeFailedDelete").size() == 1);
}

TEST_CASE("reclaim: a closed fence leaves the volume to the leader", "[reclaim][fence]") {
  controller::LeaseFence fence(std::chrono::seconds(10));  // never renewed: closed
  auto options = fakes::rig_options();
  options.fence = &fence;
  World world(json{{"archiveOnDelete", "false"}}, options);

  REQUIRE(world.reclaim() == StepResult::retry);

  CHECK(world.rig.share().exists(kDirectory));
  CHECK(world.pv_exists());
  CHECK(world.api.calls().empty());
}

TEST_CASE("reclaim: a fence that closes during the removal stops before the PV",
          "[reclaim][fence]") {
  controller::LeaseFence fence(std::chrono::seconds(10));
  fence.renewed(controller::LeaseFence::Clock::now());
  auto options = fakes::rig_options();
  options.fence = &fence;
  World world(json{{"archiveOnDelete", "false"}}, options);
  world.rig.share().set_fault([&](std::string_view op, std::string_view) {
    if (op == "remove_tree") fence.revoke();
  });

  REQUIRE(world.reclaim() == StepResult::retry);

  CHECK(world.pv_exists());
  CHECK(world.api.calls().empty());
  CHECK(world.rig.events_with_reason("VolumeFailedDelete").empty());
}
