// VolumeUsageMeter against the in-memory API and exports: which volumes are measured, what the
// observer is told, the once-per-crossing Warning and the claim it goes to, and how a pass ends
// early (an export that fails, a stop, a closed fence).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/nfs_error.h"
#include "provisioner/controller/lease_fence.h"
#include "provisioner/controller/volume_usage_meter.h"
#include "provisioner/core/annotations.h"
#include "provisioner/kube/resource.h"
#include "test/fakes/work_rig.h"

using namespace nfsprov;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// What the meter tells the observer, in order (the meter reports from the thread that calls
// measure: the test's own).
struct RecordingObserver final : controller::ControllerObserver {
  struct Pass {
    std::string export_key;
    std::uint64_t used_bytes;
    std::uint64_t nfs_calls;
    std::chrono::nanoseconds took;
  };
  void volume_usage(const controller::VolumeUsageSample& sample) override {
    samples.push_back(sample);
  }
  void volume_usage_forgotten(std::string_view pv) override { forgotten.emplace_back(pv); }
  void export_volumes_measured(const nfs::ExportAddress& address, std::uint64_t used_bytes,
                               std::uint64_t nfs_calls, std::chrono::nanoseconds took) override {
    passes.push_back({address.key(), used_bytes, nfs_calls, took});
  }
  std::optional<controller::VolumeUsageSample> sample(const std::string& pv) const {
    const auto found = std::find_if(samples.begin(), samples.end(),
                                    [&](const auto& sample) { return sample.pv == pv; });
    if (found == samples.end()) return std::nullopt;
    return *found;
  }
  void clear() {
    samples.clear();
    forgotten.clear();
    passes.clear();
  }

  std::vector<controller::VolumeUsageSample> samples;
  std::vector<std::string> forgotten;
  std::vector<Pass> passes;
};

// A FakeExport opened for a pass: its operations are the walk's NFS calls.
class FakeWalk final : public controller::WalkedExport {
 public:
  explicit FakeWalk(fakes::FakeExport& share) : share_(&share) {}
  nfs::ExportFiles& files() override { return *share_; }
  std::uint64_t calls() const override { return share_->operations(); }

 private:
  fakes::FakeExport* share_;
};

// The rig's export on another server.
nfs::ExportAddress on_server(const std::string& server) {
  auto address = fakes::rig_options().default_export;
  address.server = server;
  return address;
}

// A Bound PV of ours for claim default/<claim> (uid "uid-<claim>"), its directory on the
// rig's export, as our provisioning made it.
json bound_volume(const std::string& name, const std::string& claim,
                  const std::string& capacity = "1Ki") {
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolume"},
          {"metadata",
           {{"name", name},
            {"annotations", {{std::string(core::kProvisionedBy), fakes::kProvisioner}}}}},
          {"spec",
           {{"storageClassName", "nfs"},
            {"capacity", {{"storage", capacity}}},
            {"nfs", {{"server", "10.0.0.5"}, {"path", "/srv/nfs/default-" + claim + "-" + name}}},
            {"claimRef", {{"namespace", "default"}, {"name", claim}, {"uid", "uid-" + claim}}}}},
          {"status", {{"phase", "Bound"}}}};
}

std::string directory_of(const json& pv) {
  return pv["spec"]["nfs"]["path"].get<std::string>().substr(std::string("/srv/nfs/").size());
}

controller::ControllerOptions unpaced_options() {
  auto options = fakes::rig_options();
  options.usage_ops_per_second = 0;  // no real sleeps between the fake's calls
  return options;
}

struct World {
  explicit World(controller::ControllerOptions options = unpaced_options(),
                 const json& class_parameters = json::object())
      : rig(api, volumes, std::move(options)) {
    api.put(kube::kStorageClasses, fakes::storage_class("nfs", class_parameters));
  }

  controller::WorkContext context() {
    auto c = rig.context();
    return controller::WorkContext{c.api,      c.volumes,     c.events,  c.logger, observer,
                                   c.refusals, c.directories, c.options, c.usage};
  }
  // Opens the fake export at the address, or throws as an unreachable server's mount does.
  controller::OpenWalkedExport opener() {
    return [this](const nfs::ExportAddress& address,
                  std::stop_token) -> std::unique_ptr<controller::WalkedExport> {
      opened.push_back(address.server);
      if (address.server == unreachable)
        throw nfs::NfsError("mount", "", address.server, ETIMEDOUT);
      return std::make_unique<FakeWalk>(volumes.at(address));
    };
  }

  // pv in the API, its claim too, and its directory holding one file of bytes.
  json add(json pv, std::uint64_t bytes) {
    pv = api.put(kube::kPersistentVolumes, std::move(pv));
    const auto& claim_ref = pv["spec"]["claimRef"];
    api.put(kube::kPersistentVolumeClaims,
            fakes::claim("default", claim_ref["name"].get<std::string>(),
                         claim_ref["uid"].get<std::string>()));
    const auto directory = directory_of(pv);
    auto& share = share_of(pv);
    share.create_directory(directory);
    share.write_file(directory + "/data", bytes);
    return pv;
  }
  void resize(const json& pv, std::uint64_t bytes) {
    share_of(pv).write_file(directory_of(pv) + "/data", bytes);
  }
  fakes::FakeExport& share_of(const json& pv) {
    return volumes.at(on_server(pv["spec"]["nfs"]["server"].get<std::string>()));
  }

  // One pass over the API's PVs, with what the observer was told before cleared.
  void pass(std::stop_token stop = {}) { pass_of(meter, stop); }
  void pass_of(controller::VolumeUsageMeter& of, std::stop_token stop = {}) {
    observer.clear();
    opened.clear();
    of.measure(
        [this](const auto& each) {
          for (auto& pv : api.objects(kube::kPersistentVolumes)) each(std::move(pv));
        },
        rig.caches(), std::move(stop));
  }
  std::vector<json> warnings() { return rig.events_with_reason("UsageExceedsRequest"); }

  fakes::FakeKubeApi api;
  fakes::FakeVolumeStore volumes;
  fakes::WorkRig rig;
  RecordingObserver observer;
  std::string unreachable;          // a server whose export cannot be opened
  std::vector<std::string> opened;  // servers opened in the last pass
  controller::VolumeUsageMeter meter{context(), opener()};
};

int count_of(const json& event) {
  return event.value("count", 1);
}

}  // namespace

TEST_CASE("volume usage: only Bound volumes of ours are measured, and reach the observer",
          "[usage]") {
  World world;
  world.add(bound_volume("pvc-a", "data"), 300);
  world.rig.share().create_directory("default-data-pvc-a/sub");
  world.rig.share().write_file("default-data-pvc-a/sub/more", 50);
  auto released = bound_volume("pvc-r", "gone");
  released["status"]["phase"] = "Released";
  released["spec"]["nfs"]["server"] = "10.0.0.6";
  world.add(released, 10);
  auto foreign = bound_volume("pvc-f", "theirs");
  foreign["metadata"]["annotations"][std::string(core::kProvisionedBy)] = "example.com/other";
  foreign["spec"]["nfs"]["server"] = "10.0.0.7";
  world.add(foreign, 10);

  world.pass();

  REQUIRE(world.observer.samples.size() == 1);
  const auto& sample = world.observer.samples[0];
  CHECK(sample.pv == "pvc-a");
  CHECK(sample.namespace_ == "default");
  CHECK(sample.claim == "data");
  CHECK(sample.used_bytes == 350);
  CHECK(sample.used_inodes == 4);  // the directory, data, sub and sub/more
  CHECK(sample.requested_bytes == 1024);
  CHECK_FALSE(sample.over);
  // The exports of the others were not even opened.
  CHECK(world.opened == std::vector<std::string>{"10.0.0.5"});
  REQUIRE(world.observer.passes.size() == 1);
  CHECK(world.observer.passes[0].used_bytes == 350);
  CHECK(world.warnings().empty());
}

TEST_CASE("volume usage: the NFS calls of a pass are counted and paced", "[usage]") {
  auto options = fakes::rig_options();
  options.usage_ops_per_second = 200;
  World world(options);
  world.add(bound_volume("pvc-a", "data"), 1);
  for (int i = 0; i < 9; ++i)
    world.rig.share().write_file("default-data-pvc-a/" + std::to_string(i));
  const auto before = world.rig.share().operations();

  world.pass();

  REQUIRE(world.observer.passes.size() == 1);
  const auto& pass = world.observer.passes[0];
  // A readdir, an lstat per file, then the lstat that finds the directory there.
  CHECK(pass.nfs_calls == 12);
  CHECK(pass.nfs_calls == world.rig.share().operations() - before);
  // The 11th call of the walk waited until 10 calls' worth of the rate had passed.
  CHECK(pass.took >= 10 * 1000ms / 200);
}

TEST_CASE("volume usage: one Warning per crossing, not again while over", "[usage]") {
  World world(unpaced_options(), {{"usageWarningPercent", "50"}});
  const auto pv = world.add(bound_volume("pvc-a", "data"), 100);  // of 1Ki: under 50 %

  world.pass();
  REQUIRE(world.observer.sample("pvc-a"));
  CHECK_FALSE(world.observer.sample("pvc-a")->over);
  CHECK(world.warnings().empty());

  world.resize(pv, 600);
  world.pass();
  CHECK(world.observer.sample("pvc-a")->over);
  auto warnings = world.warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0]["type"] == "Warning");
  CHECK(count_of(warnings[0]) == 1);
  CHECK(warnings[0]["involvedObject"]["name"] == "data");
  CHECK(warnings[0]["involvedObject"]["uid"] == "uid-data");
  CHECK_THAT(warnings[0]["message"].get<std::string>(),
             Catch::Contains("more than 50% of its request of 1Ki"));

  world.pass();  // still over: no news
  CHECK(world.observer.sample("pvc-a")->over);
  warnings = world.warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(count_of(warnings[0]) == 1);

  world.resize(pv, 100);
  world.pass();
  CHECK_FALSE(world.observer.sample("pvc-a")->over);
  world.resize(pv, 700);
  world.pass();  // a second crossing: the same Event, counted again
  warnings = world.warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(count_of(warnings[0]) == 2);
}

TEST_CASE("volume usage: a volume over at a new leader's first pass is not warned about twice",
          "[usage]") {
  World world(unpaced_options(), {{"usageWarningPercent", "50"}});
  world.add(bound_volume("pvc-a", "data"), 600);

  world.pass();  // over from the start: the Warning is posted once
  auto warnings = world.warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(count_of(warnings[0]) == 1);

  // Another process, which never saw the volume under: it finds the Warning posted.
  fakes::WorkRig next(world.api, world.volumes, world.rig.options);
  controller::VolumeUsageMeter next_meter(next.context(), world.opener());
  world.pass_of(next_meter);
  world.pass_of(next_meter);

  warnings = next.events_with_reason("UsageExceedsRequest");
  REQUIRE(warnings.size() == 1);
  CHECK(count_of(warnings[0]) == 1);
}

TEST_CASE("volume usage: the Warning goes only to the claim the volume is bound to", "[usage]") {
  World world;
  world.add(bound_volume("pvc-a", "data"), 2000);  // over its 1Ki
  // A namesake of pvc-a's claim, made since: another uid.
  world.api.put(kube::kPersistentVolumeClaims, fakes::claim("default", "data", "uid-new"));
  world.add(bound_volume("pvc-b", "logs"), 2000);

  world.pass();

  CHECK(world.observer.sample("pvc-a")->over);  // measured and reported all the same
  const auto warnings = world.warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0]["involvedObject"]["name"] == "logs");
  CHECK(warnings[0]["involvedObject"]["uid"] == "uid-logs");
}

TEST_CASE("volume usage: volumes gone from a pass are forgotten, once", "[usage]") {
  World world;
  world.add(bound_volume("pvc-a", "a"), 1);
  world.add(bound_volume("pvc-b", "b"), 1);
  auto c = world.add(bound_volume("pvc-c", "c"), 1);
  world.pass();
  REQUIRE(world.observer.samples.size() == 3);
  CHECK(world.observer.forgotten.empty());

  world.api.remove(kube::kPersistentVolumes, {}, "pvc-b");
  c["status"]["phase"] = "Released";
  world.api.put(kube::kPersistentVolumes, c);
  world.pass();

  CHECK(world.observer.forgotten == std::vector<std::string>{"pvc-b", "pvc-c"});
  REQUIRE(world.observer.samples.size() == 1);
  CHECK(world.observer.samples[0].pv == "pvc-a");

  world.pass();
  CHECK(world.observer.forgotten.empty());
}

TEST_CASE("volume usage: a volume whose directory is missing is skipped", "[usage]") {
  World world;
  world.add(bound_volume("pvc-a", "a"), 5);
  const auto b = world.add(bound_volume("pvc-b", "b"), 7);
  world.rig.share().remove_tree(directory_of(b));

  world.pass();

  REQUIRE(world.observer.samples.size() == 1);
  CHECK(world.observer.samples[0].pv == "pvc-a");
  REQUIRE(world.observer.passes.size() == 1);
  CHECK(world.observer.passes[0].used_bytes == 5);
  CHECK(world.observer.forgotten.empty());
}

TEST_CASE("volume usage: an export that fails is logged and skipped, the others measured",
          "[usage]") {
  World world;
  world.add(bound_volume("pvc-a", "a"), 5);  // on 10.0.0.5, which fails its readdirs
  world.rig.share().set_fault([](std::string_view op, std::string_view path) {
    if (op == "readdir") throw nfs::NfsError("readdir", std::string(path), "10.0.0.5", EIO);
  });
  auto b = bound_volume("pvc-b", "b");
  b["spec"]["nfs"]["server"] = "10.0.0.6";  // cannot be opened
  world.add(b, 6);
  world.unreachable = "10.0.0.6";
  auto c = bound_volume("pvc-c", "c");
  c["spec"]["nfs"]["server"] = "10.0.0.7";  // last in the pass
  world.add(c, 7);

  world.pass();

  REQUIRE(world.observer.samples.size() == 1);
  CHECK(world.observer.samples[0].pv == "pvc-c");
  REQUIRE(world.observer.passes.size() == 1);
  CHECK(world.observer.passes[0].export_key == on_server("10.0.0.7").key());
  const auto log = world.rig.log_text();
  CHECK_THAT(log, Catch::Contains("cannot measure volumes") && Catch::Contains("10.0.0.5:") &&
                      Catch::Contains("10.0.0.6:"));
}

TEST_CASE("volume usage: a stop or a closed fence ends the pass where it is", "[usage]") {
  controller::LeaseFence fence(1h);
  fence.renewed(controller::LeaseFence::Clock::now());
  auto options = unpaced_options();
  options.fence = &fence;
  World world(options);
  world.add(bound_volume("pvc-a", "a"), 1);
  world.add(bound_volume("pvc-b", "b"), 1);
  auto c = bound_volume("pvc-c", "c");
  c["spec"]["nfs"]["server"] = "10.0.0.7";
  world.add(c, 1);
  world.add(bound_volume("pvc-d", "d"), 1);
  world.pass();
  REQUIRE(world.observer.samples.size() == 4);
  // Gone: the end of a whole pass forgets it.
  world.api.remove(kube::kPersistentVolumes, {}, "pvc-d");

  std::stop_source stopping;
  SECTION("a stop requested during the first walk") {
    world.rig.share().set_fault([&](std::string_view op, std::string_view) {
      if (op == "readdir") stopping.request_stop();
    });
  }
  SECTION("the fence closing during the first walk") {
    world.rig.share().set_fault([&](std::string_view op, std::string_view) {
      if (op == "readdir") fence.revoke();
    });
  }
  world.pass(stopping.get_token());

  CHECK(world.observer.samples.empty());
  CHECK(world.observer.passes.empty());
  CHECK(world.observer.forgotten.empty());
  CHECK(world.opened == std::vector<std::string>{"10.0.0.5"});
  CHECK_THAT(world.rig.log_text(), !Catch::Contains("cannot measure volumes"));

  // Once it may act again, the next pass measures and forgets as ever.
  world.rig.share().set_fault({});
  fence.renewed(controller::LeaseFence::Clock::now());
  world.pass();
  CHECK(world.observer.samples.size() == 3);
  CHECK(world.observer.forgotten == std::vector<std::string>{"pvc-d"});
}

TEST_CASE("volume usage: with the fence closed or a stop requested, no export is opened",
          "[usage]") {
  controller::LeaseFence fence(1h);  // never renewed: closed
  auto options = unpaced_options();
  std::stop_source stopping;
  SECTION("closed fence") {
    options.fence = &fence;
  }
  SECTION("stop") {
    stopping.request_stop();
  }
  World world(options);
  world.add(bound_volume("pvc-a", "a"), 1);

  world.pass(stopping.get_token());

  CHECK(world.opened.empty());
  CHECK(world.observer.samples.empty());
}
