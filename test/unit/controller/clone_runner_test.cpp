// CloneRunner with a copy of the test's own in place of copy_tree: the queue, each copy's
// status, the requeue of its claim, cancel, forget, stop, and the Events of a copy. The copy
// runs on the runner's thread: the test waits for what it did (with a limit), never for time
// to pass.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "nfs/nfs_error.h"
#include "provisioner/controller/clone_runner.h"
#include "provisioner/controller/lease_fence.h"
#include "test/fakes/work_rig.h"

using namespace nfsprov;
using namespace std::chrono_literals;
using controller::CloneState;

namespace {

constexpr auto kPatience = 10s;  // for what must happen at once: only a failing test waits it out

// Entries one thread adds and another waits for.
class Journal {
 public:
  void add(std::string entry) {
    {
      const std::lock_guard lock(mutex_);
      entries_.push_back(std::move(entry));
    }
    changed_.notify_all();
  }
  // Blocks until entry was added `times` times; false after kPatience.
  bool wait_for(const std::string& entry, std::size_t times = 1) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] {
      return static_cast<std::size_t>(std::count(entries_.begin(), entries_.end(), entry)) >= times;
    });
  }
  std::vector<std::string> entries() const {
    const std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> entries_;
};

// The copy the runner is given. A held volume's copy waits until it is released, asking
// hooks.cancelled() as copy_tree does before each chunk (a chunk here: a millisecond's wait),
// and ends as copy_tree does when cancelled.
class FakeCopy {
 public:
  using Outcome = std::function<nfs::CopyProgress(const nfs::CopyHooks& hooks)>;

  controller::CloneRunner::CopyTree function() {
    return [this](const controller::CloneJob& job, const nfs::CopyHooks& hooks,
                  const std::stop_token& stop) { return copy(job, hooks, stop); };
  }
  void hold(const std::string& pv) {
    const std::lock_guard lock(mutex_);
    held_.insert(pv);
  }
  void release(const std::string& pv) {
    {
      const std::lock_guard lock(mutex_);
      held_.erase(pv);
    }
    released_.notify_all();
  }
  // What the copies do once released (or not held): by default, copy 3 files.
  void set_outcome(Outcome outcome) {
    const std::lock_guard lock(mutex_);
    outcome_ = std::move(outcome);
  }

  Journal started;  // pv names
  // "<pv> copied", "<pv> cancelled" (by its hook alone), "<pv> stopped" (the hook and the
  // stop token both), "<pv> never released"
  Journal ended;

 private:
  nfs::CopyProgress copy(const controller::CloneJob& job, const nfs::CopyHooks& hooks,
                         const std::stop_token& stop) {
    const auto& pv = job.pv_name;
    started.add(pv);
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (true) {
      {
        std::unique_lock lock(mutex_);
        if (!held_.contains(pv)) break;
        released_.wait_for(lock, 1ms);
      }
      if (hooks.cancelled()) {
        ended.add(pv + (stop.stop_requested() ? " stopped" : " cancelled"));
        throw nfs::NfsError("copy", job.target_directory, job.target_export.server, ECANCELED);
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ended.add(pv + " never released");
        throw std::runtime_error("never released");
      }
    }
    ended.add(pv + " copied");
    Outcome outcome;
    {
      const std::lock_guard lock(mutex_);
      outcome = outcome_;
    }
    return outcome(hooks);
  }

  std::mutex mutex_;
  std::condition_variable released_;
  std::set<std::string> held_;
  Outcome outcome_ = [](const nfs::CopyHooks& hooks) {
    nfs::CopyProgress progress;
    progress.directories = 2;
    progress.files = 3;
    progress.bytes = 4096;
    hooks.progress(progress);
    return progress;
  };
};

// The copy of claim default/<pv> (its work key "claim/default/<pv>") from claim
// default/source, on the rig's export.
controller::CloneJob job(const std::string& pv) {
  const auto share = fakes::rig_options().default_export;
  controller::CloneJob job;
  job.key = "claim/default/" + pv;
  job.pv_name = pv;
  job.claim = "default/" + pv;
  job.involved.kind = "PersistentVolumeClaim";
  job.involved.namespace_ = "default";
  job.involved.name = pv;
  job.involved.uid = "uid-" + pv;
  job.source = {"default/source", "pvc-source", {share, "default-source-pvc-source"}};
  job.target_export = share;
  job.target_directory = "default-" + pv + "-" + pv;
  return job;
}

std::string key(const std::string& pv) {
  return "claim/default/" + pv;
}

struct World {
  explicit World(controller::ControllerOptions options = fakes::rig_options(),
                 std::chrono::milliseconds progress_interval = 1h)
      : rig(api, volumes, std::move(options)) {
    runner.emplace(
        rig.context(), copies.function(), [this](const std::string& key) { requeued.add(key); },
        progress_interval);
  }
  CloneState state(const std::string& pv) const { return runner->status(pv).state; }
  // Starts pv's copy, held until released: returns once it runs.
  void start_held(const std::string& pv) {
    copies.hold(pv);
    runner->start(job(pv));
    REQUIRE(copies.started.wait_for(pv));
  }

  fakes::FakeKubeApi api;
  fakes::FakeVolumeStore volumes;
  fakes::WorkRig rig;
  FakeCopy copies;
  Journal requeued;
  std::optional<controller::CloneRunner> runner;  // first to go: its thread uses the rest
};

}  // namespace

TEST_CASE("clone: a copy runs on its own thread, then its claim is queued again, once", "[clone]") {
  World world;

  world.start_held("a");
  CHECK(world.state("a") == CloneState::running);
  world.copies.release("a");
  REQUIRE(world.requeued.wait_for(key("a")));

  const auto status = world.runner->status("a");
  CHECK(status.state == CloneState::succeeded);
  CHECK(status.progress.files == 3);
  CHECK(status.progress.bytes == 4096);
  CHECK(status.error.empty());
  world.runner->stop();  // joined: nothing more can be queued
  CHECK(world.requeued.entries() == std::vector<std::string>{key("a")});
  // The claim was told the copy began; its progress was not due yet (every hour).
  const auto cloning = world.rig.events_with_reason("Cloning");
  REQUIRE(cloning.size() == 1);
  CHECK(cloning[0]["involvedObject"]["name"] == "a");
  CHECK_THAT(cloning[0]["message"].get<std::string>(),
             Catch::Contains("copying the data of claim default/source (volume pvc-source)"));
  CHECK_THAT(world.rig.log_text(), Catch::Contains("cloned volume"));
}

TEST_CASE("clone: a second start of a volume's copy is ignored while queued, running or finished",
          "[clone]") {
  World world;
  world.start_held("a");

  world.runner->start(job("a"));  // running
  world.runner->start(job("b"));
  world.runner->start(job("b"));  // queued behind a
  world.copies.release("a");
  REQUIRE(world.requeued.wait_for(key("b")));
  world.runner->start(job("a"));  // finished
  world.runner->start(job("c"));
  // One thread, first come first copied: a second copy of a would have come before c's end.
  REQUIRE(world.requeued.wait_for(key("c")));

  CHECK(world.copies.started.entries() == std::vector<std::string>{"a", "b", "c"});
  CHECK(world.requeued.entries() == std::vector<std::string>{key("a"), key("b"), key("c")});
}

TEST_CASE("clone: a failed copy is reported with its error, and its claim queued again",
          "[clone]") {
  World world;
  std::string error;   // in the status
  std::string logged;  // the line of the log
  SECTION("any error") {
    world.copies.set_outcome([](const nfs::CopyHooks&) -> nfs::CopyProgress {
      throw std::runtime_error("disk on fire");
    });
    error = "disk on fire";
    logged = "clone failed";
  }
  SECTION("an NFS error") {
    world.copies.set_outcome([](const nfs::CopyHooks&) -> nfs::CopyProgress {
      throw nfs::NfsError("write", "default-a-a/file", "10.0.0.5", ENOSPC);
    });
    error = "default-a-a/file";
    logged = "clone failed";
  }
  SECTION("a cancelled NFS call (the pool's stop): to be resumed, not a failure to log") {
    world.copies.set_outcome([](const nfs::CopyHooks&) -> nfs::CopyProgress {
      throw nfs::NfsError("write", "default-a-a/file", "10.0.0.5", ECANCELED);
    });
    error = "default-a-a/file";
    logged = "clone stopped, to be resumed";
  }

  world.runner->start(job("a"));
  REQUIRE(world.requeued.wait_for(key("a")));

  const auto status = world.runner->status("a");
  CHECK(status.state == CloneState::failed);
  CHECK_THAT(status.error, Catch::Contains(error));
  world.runner->stop();
  const auto log = world.rig.log_text();
  CHECK_THAT(log, Catch::Contains(logged));
  CHECK_THAT(log, !Catch::Contains("cloned volume"));
  if (logged != "clone failed") CHECK_THAT(log, !Catch::Contains("clone failed"));
}

TEST_CASE("clone: cancel stops the running copy and forgets it, without a requeue", "[clone]") {
  World world;
  world.start_held("a");

  world.runner->cancel("a");

  REQUIRE(world.copies.ended.wait_for("a cancelled"));
  CHECK(world.state("a") == CloneState::none);
  world.runner->start(job("b"));
  REQUIRE(world.requeued.wait_for(key("b")));
  // Forgotten: a new start copies it again.
  world.copies.release("a");
  world.runner->start(job("a"));
  REQUIRE(world.requeued.wait_for(key("a")));
  CHECK(world.requeued.entries() == std::vector<std::string>{key("b"), key("a")});
  CHECK(world.copies.started.entries() == std::vector<std::string>{"a", "b", "a"});
}

TEST_CASE("clone: cancel of a queued copy drops it before it starts", "[clone]") {
  World world;
  world.start_held("a");
  world.runner->start(job("b"));

  world.runner->cancel("b");
  CHECK(world.state("b") == CloneState::none);
  world.copies.release("a");
  world.runner->start(job("c"));
  REQUIRE(world.requeued.wait_for(key("c")));

  CHECK(world.copies.started.entries() == std::vector<std::string>{"a", "c"});
  CHECK(world.requeued.entries() == std::vector<std::string>{key("a"), key("c")});
}

TEST_CASE("clone: forget drops a finished copy, not a running one", "[clone]") {
  World world;
  world.start_held("a");

  world.runner->forget("a");
  CHECK(world.state("a") == CloneState::running);
  world.copies.release("a");
  REQUIRE(world.requeued.wait_for(key("a")));
  CHECK(world.state("a") == CloneState::succeeded);

  world.runner->forget("a");
  CHECK(world.state("a") == CloneState::none);
  world.runner->start(job("a"));  // a new copy, as after the PV's create failed
  REQUIRE(world.requeued.wait_for(key("a"), 2));
  CHECK(world.copies.started.entries() == std::vector<std::string>{"a", "a"});
}

TEST_CASE("clone: stop ends the running copy, joins, and takes no more", "[clone]") {
  World world;
  world.start_held("a");
  world.runner->start(job("b"));

  world.runner->stop();

  // Joined: the copy saw both its hook and its stop token, and ended.
  CHECK(world.copies.ended.entries() == std::vector<std::string>{"a stopped"});
  world.runner->start(job("c"));
  world.runner->stop();  // again: nothing to do
  CHECK(world.copies.started.entries() == std::vector<std::string>{"a"});
  // Leadership ended: the next leader works the claim, not this one.
  CHECK(world.requeued.entries().empty());
  CHECK_THAT(world.rig.log_text(), Catch::Contains("clone stopped, to be resumed"));
}

TEST_CASE("clone: the destructor stops a running copy", "[clone]") {
  World world;
  world.start_held("a");

  world.runner.reset();

  CHECK(world.copies.ended.entries() == std::vector<std::string>{"a stopped"});
}

TEST_CASE("clone: a closed fence stops the copy where it is", "[clone]") {
  controller::LeaseFence fence(1h);
  fence.renewed(controller::LeaseFence::Clock::now());
  auto options = fakes::rig_options();
  options.fence = &fence;
  World world(options);
  world.start_held("a");

  fence.revoke();

  REQUIRE(world.copies.ended.wait_for("a cancelled"));
  REQUIRE(world.requeued.wait_for(key("a")));
  CHECK(world.state("a") == CloneState::failed);
}

TEST_CASE("clone: the Events of a copy: its progress, skipped files, owners not kept", "[clone]") {
  World world(fakes::rig_options(), 0ms);  // every progress report is due
  world.copies.set_outcome([](const nfs::CopyHooks& hooks) {
    nfs::CopyProgress progress;
    progress.files = 1;
    hooks.progress(progress);
    progress.files = 2;
    progress.skipped = 12;
    progress.skipped_paths = {"default-source-pvc-source/run/socket",
                              "default-source-pvc-source/fifo"};
    progress.owners_kept = false;
    hooks.progress(progress);
    return progress;
  });

  world.runner->start(job("a"));
  REQUIRE(world.requeued.wait_for(key("a")));

  std::vector<std::string> cloning;
  for (const auto& event : world.rig.events_with_reason("Cloning"))
    cloning.push_back(event["message"]);
  std::sort(cloning.begin(), cloning.end());
  REQUIRE(cloning.size() == 3);
  CHECK_THAT(cloning[0], Catch::StartsWith("copying claim default/source: 1 files (0.0 MiB)"));
  CHECK_THAT(cloning[1], Catch::StartsWith("copying claim default/source: 2 files (0.0 MiB)"));
  CHECK_THAT(cloning[2], Catch::StartsWith("copying the data of claim default/source"));
  const auto skipped = world.rig.events_with_reason("CloneSkippedFiles");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0]["type"] == "Warning");
  CHECK_THAT(skipped[0]["message"].get<std::string>(),
             Catch::Contains("skipped 12 special files") &&
                 Catch::EndsWith("cannot hold: run/socket, fifo, ..."));
  const auto owners = world.rig.events_with_reason("CloneOwnersNotKept");
  REQUIRE(owners.size() == 1);
  CHECK_THAT(owners[0]["message"].get<std::string>(), Catch::Contains("volume a"));
}

TEST_CASE("clone: copy_summary says what a finished copy did", "[clone]") {
  controller::CloneStatus copy;
  copy.state = CloneState::succeeded;
  copy.progress.files = 2;
  copy.progress.kept_files = 1;
  copy.progress.bytes = 3 << 20;
  copy.progress.kept_bytes = 1 << 20;
  copy.progress.directories = 4;
  copy.progress.symlinks = 5;
  copy.took = 1250ms;

  CHECK(controller::copy_summary(job("a").source, copy) ==
        ", cloned from claim default/source: 3 files (4.0 MiB), 4 directories, 5 symlinks in "
        "1.2 s");
}
