// ArchiveExpirer on the in-memory export: an archive of ours older than the retention goes,
// a younger one and anything not ours stay, judged by the server's ctime.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "provisioner/controller/archive_expirer.h"
#include "provisioner/controller/lease_fence.h"
#include "test/fakes/work_rig.h"

using namespace nfsprov;
using namespace std::chrono_literals;

namespace {

constexpr const char* kOld = "archived-default-old-pvc-5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10";
constexpr const char* kYoung = "archived-default-young-pvc-6a22616c-8b1c-4d0f-8b58-4d2d2b8f3021";
constexpr const char* kForeign = "archived-holiday-photos";

std::int64_t ns_ago(std::chrono::hours age) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             (std::chrono::system_clock::now() - age).time_since_epoch())
      .count();
}

struct World {
  explicit World(controller::ControllerOptions options = fakes::rig_options())
      : rig(api, volumes, std::move(options)) {
    auto& share = rig.share();
    share.set_server_time(ns_ago(72h));
    share.create_directory(kOld);
    share.create_directory(kForeign);
    share.set_server_time(ns_ago(1h));
    share.create_directory(kYoung);
  }
  void expire(std::chrono::seconds retention) {
    controller::ArchiveExpirer(rig.context())
        .expire({{rig.options.default_export, retention}}, nlohmann::json::array(), {});
  }

  fakes::FakeKubeApi api;
  fakes::FakeVolumeStore volumes;
  fakes::WorkRig rig;
};

}  // namespace

TEST_CASE("archive retention: only archives of ours older than the retention go", "[archives]") {
  World world;

  world.expire(24h);

  CHECK_FALSE(world.rig.share().exists(kOld));
  CHECK(world.rig.share().exists(kYoung));
  CHECK(world.rig.share().exists(kForeign));  // 72 h old, but not ours
}

TEST_CASE("archive retention: a longer retention keeps them all", "[archives]") {
  World world;

  world.expire(24h * 7);

  CHECK(world.rig.share().exists(kOld));
  CHECK(world.rig.share().exists(kYoung));
}

TEST_CASE("archive retention: nothing is removed with the fence closed", "[archives]") {
  controller::LeaseFence fence(10s);  // never renewed: closed
  auto options = fakes::rig_options();
  options.fence = &fence;
  World world(options);

  world.expire(24h);

  CHECK(world.rig.share().exists(kOld));
}
