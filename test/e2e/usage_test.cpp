// Volume usage on the real control plane and nfs-ganesha: the leader walks each Bound volume
// of ours, reports its bytes and inodes, and warns the claim once per crossing of its request
// (NFS cannot enforce a claim's size: this is the soft quota).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "nfs/export_client.h"
#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;
using nfsprov::controller::VolumeUsageSample;

namespace {

// The last sample per PV, and the PVs forgotten.
class UsageObserver : public nfsprov::controller::ControllerObserver {
 public:
  void volume_usage(const VolumeUsageSample& sample) override {
    std::lock_guard lock(mutex_);
    last_[sample.pv] = sample;
  }
  void volume_usage_forgotten(std::string_view pv) override {
    std::lock_guard lock(mutex_);
    forgotten_.insert(std::string(pv));
  }
  std::optional<VolumeUsageSample> last(const std::string& pv) {
    std::lock_guard lock(mutex_);
    const auto at = last_.find(pv);
    return at == last_.end() ? std::nullopt : std::optional(at->second);
  }
  void export_volumes_measured(const nfsprov::nfs::ExportAddress&, std::uint64_t used_bytes,
                               std::uint64_t nfs_calls, std::chrono::nanoseconds took) override {
    std::lock_guard lock(mutex_);
    passes_.push_back({used_bytes, nfs_calls, took});
  }
  struct Pass {
    std::uint64_t used_bytes;
    std::uint64_t nfs_calls;
    std::chrono::nanoseconds took;
  };
  std::vector<Pass> passes() {
    std::lock_guard lock(mutex_);
    return passes_;
  }
  bool forgotten(const std::string& pv) {
    std::lock_guard lock(mutex_);
    return forgotten_.contains(pv);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, VolumeUsageSample> last_;
  std::set<std::string> forgotten_;
  std::vector<Pass> passes_;
};

// The count of the claim's UsageExceedsRequest Events (0 when there is none).
int warnings(E2eEnv& env, const std::string& claim) {
  int count = 0;
  for (const auto& event : env.events_for("default", claim))
    if (event.value("reason", "") == "UsageExceedsRequest") count += event.value("count", 1);
  return count;
}

void write_file(const fs::path& path, std::size_t bytes) {
  std::ofstream(path) << std::string(bytes, 'x');
}

}  // namespace

TEST_CASE("a volume past its request is measured and its claim warned once per crossing") {
  E2eEnv env;
  env.options().usage_interval = 300ms;
  UsageObserver observer;
  env.create_class("soft", json::object());
  env.start_controller_with(&observer);
  env.create_claim("default", "small", "soft",
                   {{"spec", {{"resources", {{"requests", {{"storage", "1Ki"}}}}}}}});
  const std::string pv = "pvc-" + str_at(env.wait_bound("default", "small"), "/metadata/uid");
  const fs::path dir = env.export_dir() / ("default-small-" + pv);
  REQUIRE(wait_until([&] { return observer.last(pv) && observer.last(pv)->used_inodes == 1; }));
  CHECK(observer.last(pv)->requested_bytes == 1024);
  CHECK_FALSE(observer.last(pv)->over);
  CHECK(observer.last(pv)->namespace_ == "default");
  CHECK(observer.last(pv)->claim == "small");

  // What a pod would write: 3 files and a directory with one more, 3500 bytes in 6 inodes.
  for (int i = 0; i < 3; ++i) write_file(dir / ("f" + std::to_string(i)), 1000);
  fs::create_directory(dir / "sub");
  write_file(dir / "sub" / "g", 500);
  REQUIRE(wait_until([&] { return observer.last(pv)->used_bytes == 3500; }));
  CHECK(observer.last(pv)->used_inodes == 6);
  CHECK(observer.last(pv)->over);
  REQUIRE(wait_until([&] { return warnings(env, "small") == 1; }));
  // Still over at the next walks: no new Warning. Two more walks judged the volume (the
  // observer counts them); an Event one of them recorded may still be on its way to the API
  // (Events are posted by a thread of their own): the end of the test, with every Event
  // posted, counts them all again.
  const auto walks = observer.passes().size();
  REQUIRE(wait_until([&] { return observer.passes().size() >= walks + 2; }));
  CHECK(warnings(env, "small") == 1);

  // Back under, then over again: a second crossing, a second Warning. Removed through NFS, as
  // a pod would: nfs-ganesha's cache does not see what is removed behind its back on its disk.
  nfsprov::nfs::ExportClient pod(env.nfs().address());
  const std::string volume = "default-small-" + pv;
  pod.remove_tree(volume + "/sub");
  for (int i = 0; i < 3; ++i) pod.remove_file(volume + "/f" + std::to_string(i));
  REQUIRE(wait_until([&] { return !observer.last(pv)->over; }));
  CHECK(observer.last(pv)->used_inodes == 1);
  write_file(dir / "big", 2048);
  CHECK(wait_until([&] { return warnings(env, "small") == 2; }));

  env.delete_claim("default", "small");
  CHECK(wait_until([&] { return observer.forgotten(pv); }));
  // Stopping the controller posts every Event it recorded: exactly the two crossings'. A
  // Warning at a walk that found the volume still over would make this 3.
  env.stop_controller();
  CHECK(warnings(env, "small") == 2);
}

TEST_CASE("a usage walk keeps to its cap of NFS calls per second") {
  E2eEnv env;
  env.options().usage_interval = 200ms;
  env.options().usage_ops_per_second = 25;
  UsageObserver observer;
  env.create_class("paced", json::object());
  env.start_controller_with(&observer);
  env.create_claim("default", "many", "paced");
  const std::string pv = "pvc-" + str_at(env.wait_bound("default", "many"), "/metadata/uid");
  // Files made before the server lists the directory: they are seen at the first walk.
  for (int i = 0; i < 60; ++i)
    write_file(env.export_dir() / ("default-many-" + pv) / ("f" + std::to_string(i)), 100);
  REQUIRE(wait_until(
      [&] {
        for (const auto& pass : observer.passes())
          if (pass.used_bytes == 6000) return true;
        return false;
      },
      30s));
  for (const auto& pass : observer.passes()) {
    if (pass.used_bytes != 6000) continue;
    const double seconds = std::chrono::duration<double>(pass.took).count();
    INFO(pass.nfs_calls << " calls in " << seconds << " s");
    CHECK(pass.nfs_calls >= 60);
    // At most the cap, plus the calls of the last entry and the existence check after a walk
    // (uncapped, these 120-odd calls take about 10 ms).
    CHECK(static_cast<double>(pass.nfs_calls) <= 25 * seconds + 10);
    break;
  }
}
