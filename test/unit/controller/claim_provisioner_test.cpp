// ClaimProvisioner, one step at a time, against the in-memory API and export: what each
// outcome leaves on the export and in the API, and that a crash or a lost leadership between
// the mkdir and the PV never loses nor duplicates a volume.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "nfs/export_pool.h"
#include "nfs/volume_records.h"
#include "provisioner/controller/claim_provisioner.h"
#include "provisioner/controller/clone_runner.h"
#include "provisioner/controller/lease_fence.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"
#include "test/fakes/work_rig.h"

using namespace nfsprov;
using controller::StepResult;
using fakes::FakeKubeApi;
using fakes::FakeVolumeStore;
using nlohmann::json;

namespace {

constexpr const char* kDirectory = "default-data-pvc-u1";  // nfs-subdir's <ns>-<pvc>-<pv>
constexpr const char* kPv = "pvc-u1";
constexpr const char* kRecord = ".nfs-provisioner/volumes/pvc-u1";

// Thrown by a fault hook: the process dies right there (no handler of the step catches it).
struct Crash {};

// One provisioner process on the shared API and export.
struct Process {
  Process(FakeKubeApi& api, FakeVolumeStore& volumes,
          controller::ControllerOptions options = fakes::rig_options())
      : rig(api, volumes, std::move(options)),
        clones(
            rig.context(), copy_pools, [](const std::string&) {}, std::chrono::seconds(30)),
        provisioner(rig.context(), core::VolumePlanner(controller::defaults_of(rig.options)),
                    clones) {}

  // The claim's step, with the claim and its class as the API has them now.
  StepResult provision(const std::string& ns = "default", const std::string& name = "data") {
    const auto claim = rig.api.find(kube::kPersistentVolumeClaims, ns, name);
    REQUIRE(claim);
    const auto storage_class = rig.api.find(
        kube::kStorageClasses, {}, (*claim)["spec"]["storageClassName"].get<std::string>());
    return provisioner.provision("claim/" + ns + "/" + name, *claim,
                                 storage_class ? &*storage_class : nullptr, rig.caches());
  }

  // The same, by a replica whose cache has not seen any PV yet.
  StepResult provision_with_lagging_cache() {
    auto caches = rig.caches();
    caches.volume = [](const std::string&) { return std::optional<json>(); };
    const auto claim = rig.api.find(kube::kPersistentVolumeClaims, "default", "data");
    const auto storage_class = rig.api.find(kube::kStorageClasses, {}, "nfs");
    return provisioner.provision("claim/default/data", *claim, &*storage_class, caches);
  }

  fakes::WorkRig rig;
  nfs::ExportPools copy_pools;  // a clone's copy only: no claim here is a clone
  controller::CloneRunner clones;
  controller::ClaimProvisioner provisioner;
};

struct World {
  World() {
    api.put(kube::kStorageClasses, fakes::storage_class("nfs"));
    api.put(kube::kPersistentVolumeClaims, fakes::claim("default", "data", "u1"));
  }
  fakes::FakeExport& share() { return volumes.at(fakes::rig_options().default_export); }
  // A process that dies as it sends the PV's create, after its mkdir.
  void crash_before_pv() {
    Process first(api, volumes);
    api.set_fault([](const FakeKubeApi::Call& call) {
      if (call.verb == "create" && call.resource == "persistentvolumes") throw Crash{};
    });
    REQUIRE_THROWS_AS(first.provision(), Crash);
    api.set_fault({});
  }

  FakeKubeApi api;
  FakeVolumeStore volumes;
};

}  // namespace

TEST_CASE("provision: a planned claim gets its directory and a PV bound to it", "[provision]") {
  World world;
  Process process(world.api, world.volumes);

  REQUIRE(process.provision() == StepResult::done);

  const auto pv = world.api.find(kube::kPersistentVolumes, {}, kPv);
  REQUIRE(pv);
  CHECK((*pv)["spec"]["claimRef"]["name"] == "data");
  CHECK((*pv)["spec"]["claimRef"]["uid"] == "u1");
  CHECK((*pv)["spec"]["nfs"]["path"] == std::string("/srv/nfs/") + kDirectory);
  CHECK((*pv)["metadata"]["finalizers"].size() == 1);
  const auto directory = world.share().stat(kDirectory);
  REQUIRE(directory);
  CHECK(directory->type == nfs::FileType::directory);
  CHECK(directory->mode == 0777);
  // The PV is the record now.
  CHECK_FALSE(world.share().exists(kRecord));
  CHECK(process.rig.events_with_reason("Provisioning").size() == 1);
  CHECK(process.rig.events_with_reason("ProvisioningSucceeded").size() == 1);
}

TEST_CASE("provision: a claim whose PV is cached is done without any I/O", "[provision]") {
  World world;
  world.api.put(kube::kPersistentVolumes, {{"metadata", {{"name", kPv}}}});
  Process process(world.api, world.volumes);

  REQUIRE(process.provision() == StepResult::done);

  CHECK(world.api.calls().empty());
  CHECK(world.volumes.lends() == 0);
}

TEST_CASE("provision: a claim not handed over yet is left alone", "[provision]") {
  World world;
  auto claim = fakes::claim("default", "data", "u1");
  claim["metadata"]["annotations"] = json::object();
  world.api.put(kube::kPersistentVolumeClaims, claim);
  Process process(world.api, world.volumes);

  REQUIRE(process.provision() == StepResult::done);

  CHECK(world.api.count("create", kube::kPersistentVolumes) == 0);
  CHECK(world.share().paths().empty());
}

TEST_CASE("provision: a refused claim gets one Warning however often it is worked", "[provision]") {
  World world;
  world.api.put(kube::kStorageClasses,
                fakes::storage_class("nfs", {{"pathPattern", "../${.PVC.name}"}}));
  Process process(world.api, world.volumes);

  REQUIRE(process.provision() == StepResult::done);
  REQUIRE(process.provision() == StepResult::done);

  const auto warnings = process.rig.events_with_reason("ProvisioningFailed");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0]["type"] == "Warning");
  CHECK(warnings[0].value("count", 1) == 1);
  CHECK(world.api.count("create", kube::kPersistentVolumes) == 0);
  CHECK(world.share().paths().empty());
}

TEST_CASE("provision: a directory that was there before the claim is refused and left as it is",
          "[provision]") {
  World world;
  world.share().create_directory(kDirectory, {.mode = 0700, .uid = 42});
  world.share().write_file(std::string(kDirectory) + "/precious");
  Process process(world.api, world.volumes);

  REQUIRE(process.provision() == StepResult::done);

  CHECK_FALSE(world.api.find(kube::kPersistentVolumes, {}, kPv));
  const auto directory = world.share().stat(kDirectory);
  REQUIRE(directory);
  CHECK(directory->mode == 0700);
  CHECK(directory->uid == 42);
  CHECK(world.share().exists(std::string(kDirectory) + "/precious"));
  CHECK_FALSE(world.share().exists(kRecord));  // the refusal leaves no trace either
  const auto warnings = process.rig.events_with_reason("ProvisioningFailed");
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(
      warnings[0]["message"].get<std::string>(),
      Catch::Contains("not made by this provisioner") && Catch::Contains("older than the claim"));
}

TEST_CASE("provision: a directory made after our record but written into is not adopted",
          "[provision]") {
  World world;
  // An earlier try wrote its record and died before its mkdir; someone else made the
  // directory since, and a pod's data is in it.
  nfs::write_record(world.share(), {kPv, "nfs", kDirectory});
  world.share().create_directory(kDirectory);
  world.share().write_file(std::string(kDirectory) + "/data");
  Process process(world.api, world.volumes);

  REQUIRE(process.provision() == StepResult::done);

  CHECK_FALSE(world.api.find(kube::kPersistentVolumes, {}, kPv));
  CHECK(world.share().exists(std::string(kDirectory) + "/data"));
  const auto warnings = process.rig.events_with_reason("ProvisioningFailed");
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0]["message"].get<std::string>(), Catch::Contains("it is not empty"));
}

TEST_CASE("provision: a volume another replica made meanwhile is success, without a Warning",
          "[provision]") {
  World world;
  Process other(world.api, world.volumes);
  REQUIRE(other.provision() == StepResult::done);
  Process process(world.api, world.volumes);
  // This replica's cache lags behind: no PV in it. The directory is not its to adopt (the
  // other replica dropped its record), but the PV the API has says the claim is done.
  REQUIRE(process.provision_with_lagging_cache() == StepResult::done);

  CHECK(world.api.count("create", kube::kPersistentVolumes) == 1);
  CHECK(world.api.count("get", kube::kPersistentVolumes) == 1);
  CHECK(process.rig.events_with_reason("ProvisioningFailed").empty());
  CHECK_FALSE(world.share().exists(kRecord));
}

TEST_CASE(
    "provision: a crash after the PV, before the record is dropped, is finished by the "
    "next run",
    "[provision][crash]") {
  World world;
  {
    Process first(world.api, world.volumes);
    world.share().set_fault([](std::string_view op, std::string_view path) {
      if (op == "unlink" && path == kRecord) throw Crash{};
    });
    REQUIRE_THROWS_AS(first.provision(), Crash);
    world.share().set_fault({});
  }
  REQUIRE(world.api.find(kube::kPersistentVolumes, {}, kPv));
  REQUIRE(world.share().exists(kRecord));

  Process next(world.api, world.volumes);
  // Its cache has not seen the PV yet: it adopts the directory, and the PV's AlreadyExists
  // answer is success.
  REQUIRE(next.provision_with_lagging_cache() == StepResult::done);

  CHECK(world.api.count("create", kube::kPersistentVolumes) == 2);  // one AlreadyExists
  CHECK(world.api.objects(kube::kPersistentVolumes).size() == 1);
  CHECK_FALSE(world.share().exists(kRecord));
  CHECK(next.rig.events_with_reason("ProvisioningSucceeded").empty());  // reported by its maker
  CHECK(next.rig.events_with_reason("ProvisioningFailed").empty());
}

TEST_CASE(
    "provision: an API failure is retried with a Warning, and the retry adopts the "
    "directory",
    "[provision]") {
  World world;
  Process process(world.api, world.volumes);
  world.api.set_fault([](const FakeKubeApi::Call& call) {
    if (call.verb == "create" && call.resource == "persistentvolumes")
      throw kube::ApiError(kube::ApiErrorKind::server_error, 500, "InternalError", "etcd down");
  });

  REQUIRE(process.provision() == StepResult::retry);
  CHECK_FALSE(world.api.find(kube::kPersistentVolumes, {}, kPv));
  CHECK(world.share().exists(kRecord));
  CHECK(process.rig.events_with_reason("ProvisioningFailed").size() == 1);

  world.api.set_fault({});
  REQUIRE(process.provision() == StepResult::done);
  CHECK(world.api.find(kube::kPersistentVolumes, {}, kPv));
  CHECK_FALSE(world.share().exists(kRecord));
}

TEST_CASE("provision: a crash between mkdir and PV leaves a record the next run adopts by",
          "[provision][crash]") {
  World world;
  world.crash_before_pv();
  REQUIRE(world.share().exists(kDirectory));
  REQUIRE(world.share().read_symlink(kRecord) == std::string("nfs/") + kDirectory);
  REQUIRE_FALSE(world.api.find(kube::kPersistentVolumes, {}, kPv));

  Process next(world.api, world.volumes);
  REQUIRE(next.provision() == StepResult::done);

  const auto pv = world.api.find(kube::kPersistentVolumes, {}, kPv);
  REQUIRE(pv);
  CHECK((*pv)["spec"]["nfs"]["path"] == std::string("/srv/nfs/") + kDirectory);
  CHECK_FALSE(world.share().exists(kRecord));
  CHECK(next.rig.events_with_reason("ProvisioningFailed").empty());
}

TEST_CASE("provision: without its record, the crashed run's directory would be refused",
          "[provision][crash]") {
  // The counterpart of the crash test: the record is what makes the adoption safe.
  World world;
  world.crash_before_pv();
  REQUIRE(world.share().remove_file(kRecord));

  Process next(world.api, world.volumes);
  REQUIRE(next.provision() == StepResult::done);
  CHECK_FALSE(world.api.find(kube::kPersistentVolumes, {}, kPv));
  CHECK(next.rig.events_with_reason("ProvisioningFailed").size() == 1);
}

TEST_CASE(
    "provision: a fence that closes during the mkdir stops the step without a PV or a "
    "Warning",
    "[provision][fence]") {
  World world;
  controller::LeaseFence fence(std::chrono::seconds(10));
  fence.renewed(controller::LeaseFence::Clock::now());
  auto options = fakes::rig_options();
  options.fence = &fence;
  Process process(world.api, world.volumes, options);
  world.share().set_write_fence([&] { return fence.open(); });
  world.share().set_fault([&](std::string_view op, std::string_view path) {
    if (op == "mkdir" && path == kDirectory) fence.revoke();  // lost while the mkdir was sent
  });

  REQUIRE(process.provision() == StepResult::retry);

  CHECK(world.api.count("create", kube::kPersistentVolumes) == 0);
  CHECK(process.rig.events_with_reason("ProvisioningFailed").empty());
  // What the step left is what a crash leaves: the next leader adopts it by its record.
  CHECK(world.share().exists(kRecord));
}

TEST_CASE("provision: a closed fence stops the step before any change", "[provision][fence]") {
  World world;
  controller::LeaseFence fence(std::chrono::seconds(10));  // never renewed: closed
  auto options = fakes::rig_options();
  options.fence = &fence;
  Process process(world.api, world.volumes, options);

  REQUIRE(process.provision() == StepResult::retry);

  CHECK(world.volumes.lends() == 0);
  CHECK(world.api.calls().empty());
}
