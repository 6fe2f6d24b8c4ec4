// OrphanSweeper on the in-memory export: what each leftover volume record leads to, so a
// crash between mkdir and PV never leaves a directory behind for good, nor loses data.
#include <catch2/catch.hpp>

#include <string>

#include "nfs/volume_records.h"
#include "provisioner/controller/orphan_sweeper.h"
#include "test/fakes/work_rig.h"

using namespace nfsprov;

namespace {

constexpr const char* kDirectory = "default-data-pvc-u1";
constexpr const char* kPv = "pvc-u1";
constexpr const char* kRecord = ".nfs-provisioner/volumes/pvc-u1";

// A crash between mkdir and PV: the record, then the directory.
struct World {
  World() : rig(api, volumes) {
    nfs::write_record(rig.share(), {kPv, "nfs", kDirectory});
    rig.share().create_directory(kDirectory);
  }
  bool sweep(const core::LiveNames& live) {
    return controller::OrphanSweeper(rig.context()).sweep({rig.options.default_export}, [&] {
      return live;
    });
  }

  fakes::FakeKubeApi api;
  fakes::FakeVolumeStore volumes;
  fakes::WorkRig rig;
};

}  // namespace

TEST_CASE("orphans: a record whose PV exists is dropped, its directory kept", "[orphans]") {
  World world;

  REQUIRE(world.sweep({.volumes = {kPv}, .claimed = {kPv}}));

  CHECK_FALSE(world.rig.share().exists(kRecord));
  CHECK(world.rig.share().exists(kDirectory));
}

TEST_CASE("orphans: a record whose claim exists is left to the claim's retry", "[orphans]") {
  World world;

  REQUIRE(world.sweep({.volumes = {}, .claimed = {kPv}}));

  CHECK(world.rig.share().exists(kRecord));
  CHECK(world.rig.share().exists(kDirectory));
}

TEST_CASE("orphans: the empty directory of a deleted claim is removed", "[orphans]") {
  World world;

  REQUIRE(world.sweep({}));

  CHECK_FALSE(world.rig.share().exists(kRecord));
  CHECK_FALSE(world.rig.share().exists(kDirectory));
}

TEST_CASE("orphans: a directory of a deleted claim with something in it is archived", "[orphans]") {
  World world;
  world.rig.share().write_file(std::string(kDirectory) + "/data");

  REQUIRE(world.sweep({}));

  CHECK_FALSE(world.rig.share().exists(kRecord));
  CHECK_FALSE(world.rig.share().exists(kDirectory));
  CHECK(world.rig.share().exists(std::string("archived-") + kDirectory + "/data"));
}

TEST_CASE("orphans: an export that does not answer is skipped and reported", "[orphans]") {
  World world;
  world.rig.share().set_fault([](std::string_view op, std::string_view path) {
    throw nfs::NfsError(std::string(op), std::string(path), "10.0.0.5", ETIMEDOUT);
  });

  CHECK_FALSE(world.sweep({}));
  world.rig.share().set_fault({});
  CHECK(world.rig.share().exists(kRecord));
  CHECK(world.rig.share().exists(kDirectory));
}
