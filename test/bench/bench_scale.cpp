// bench_scale [CLAIMS] [OURS_PERCENT]: memory and time of the provisioner's caches in a big
// cluster, on the real control plane (kube-apiserver + etcd + kube-controller-manager, as the
// e2e tests start it) with a real nfs-ganesha. (100 - OURS_PERCENT) % of CLAIMS claims exist
// before the controller starts, of another provisioner's class, each Bound to a CSI volume of
// its own (scale_objects.h); the rest are ours, made after three leader changes (a burst). Prints:
// time to caches synced, this process's RSS before, after the sync, after three leader changes
// (controller stopped and started again), after the burst of ours once the controller said it was
// over, each once the work it queued is done, with what of it malloc holds (live data, the heap's
// holes aside); and the CPU one resync takes. Figures only.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/base/heap.h"
#include "provisioner/kube/resource.h"
#include "test/bench/scale_objects.h"
#include "test/e2e/e2e_env.h"
#include "test/support/objects.h"

using namespace nfsprov;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

// Resident set of this process, in KiB, after giving freed memory back to the system (what
// a cgroup's memory limit counts).
long rss_kib() {
  malloc_trim(0);
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmRSS:")) return std::atol(line.c_str() + 6);
  return -1;
}

// Bytes malloc has handed out and not had back (live data, whatever the heap's holes), in KiB.
long heap_in_use_kib() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<long>((info.uordblks + info.hblkhd) / 1024);
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The queue's depth as the controller reports it: after every key worked, and every 10 s.
class QueueWatch : public controller::ControllerObserver {
 public:
  void queue_depth(std::size_t depth) override {
    std::lock_guard lock(mutex_);
    depth_ = depth;
    reported_ = Clock::now();
  }
  // Waits until an empty queue was reported after since (at most 30 s): the work the start or
  // a burst queued is done, and what is measured then is what stays.
  void wait_empty(Clock::time_point since) const {
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(mutex_);
        if (reported_ > since && depth_ == 0) return;
      }
      std::this_thread::sleep_for(20ms);
    }
    std::fprintf(stderr, "bench_scale: the queue did not empty within 30 s\n");
  }

 private:
  mutable std::mutex mutex_;
  std::size_t depth_ = 0;
  Clock::time_point reported_{};
};

class Controller {
 public:
  explicit Controller(e2e::E2eEnv& env) : env_(env), logger_(std::clog, log::Level::warning) {}
  // Starts a controller and returns once its caches are synced: the seconds it took.
  double start() {
    const auto started = Clock::now();
    pools_ = std::make_unique<nfs::ExportPools>(4);
    auto options = env_.options();
    // As main does: when a burst is over, one connection per export, the free heap returned.
    options.on_idle = [this] {
      pools_->close_idle(1);
      env_.provisioner_api().close_idle_connections(1);
      base::release_free_heap();
      idle_at_ = Clock::now().time_since_epoch().count();
    };
    controller_ = std::make_unique<controller::Controller>(env_.provisioner_api(), *pools_,
                                                           std::move(options), logger_, &queue_);
    thread_ = std::jthread([this](std::stop_token stop) { controller_->run(stop); });
    while (!controller_->synced()) std::this_thread::sleep_for(5ms);
    return seconds_since(started);
  }
  // Returns once the queue was seen empty after since.
  void settle(Clock::time_point since) const { queue_.wait_empty(since); }
  // Returns once the controller said a burst was over (ControllerOptions::on_idle) after since,
  // at most 30 s: its ticks come every 10 s.
  void wait_idle(Clock::time_point since) const {
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline && Clock::time_point(Clock::duration(idle_at_.load())) <= since)
      std::this_thread::sleep_for(50ms);
    if (Clock::time_point(Clock::duration(idle_at_.load())) <= since)
      std::fprintf(stderr, "bench_scale: the controller did not go idle within 30 s\n");
  }
  void stop() {
    thread_ = {};
    controller_.reset();
    pools_.reset();
  }
  ~Controller() { stop(); }

 private:
  e2e::E2eEnv& env_;
  log::Logger logger_;
  QueueWatch queue_;
  std::unique_ptr<nfs::ExportPools> pools_;
  std::unique_ptr<controller::Controller> controller_;
  std::atomic<Clock::rep> idle_at_{0};
  std::jthread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  const int claims = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int ours_percent = argc > 2 ? std::atoi(argv[2]) : 10;
  if (claims <= 0 || ours_percent < 0 || ours_percent > 100) {
    std::fprintf(stderr, "usage: bench_scale [CLAIMS > 0] [OURS_PERCENT 0..100]\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is known
  mallopt(M_ARENA_MAX, 2);                   // as the provisioner's main does
  const int ours = claims * ours_percent / 100;
  const int foreign = claims - ours;
  e2e::E2eEnv env;
  env.ensure_namespace("scale");
  env.create_class("nfs", {{"archiveOnDelete", "false"}});
  env.api().create(kube::kStorageClasses, {},
                   {{"apiVersion", "storage.k8s.io/v1"},
                    {"kind", "StorageClass"},
                    {"metadata", {{"name", "elsewhere"}}},
                    {"provisioner", "ebs.csi.aws.com"}});
  env.options().resync = 3600s;  // measured by hand below
  auto start = Clock::now();
  bench::create_bound_claims(env.api(), "scale", "other-", foreign, "elsewhere", "ebs.csi.aws.com");
  std::printf("%d claims of another provisioner, each with its volume, created in %.1f s\n",
              foreign, seconds_since(start));
  std::fflush(stdout);

  const long before = rss_kib();
  const long heap_before = heap_in_use_kib();
  Controller controller(env);
  const auto started = Clock::now();
  const double synced = controller.start();
  controller.settle(started);
  const long after_sync = rss_kib();
  const long heap_after_sync = heap_in_use_kib();
  std::printf(
      "caches synced in %.2f s; RSS %ld KiB before, %ld KiB after (+%ld KiB, %.0f bytes "
      "per foreign claim; in use on the heap: +%ld KiB, %.0f bytes per foreign claim)\n",
      synced, before, after_sync, after_sync - before,
      1024.0 * static_cast<double>(after_sync - before) / foreign, heap_after_sync - heap_before,
      1024.0 * static_cast<double>(heap_after_sync - heap_before) / foreign);
  for (int i = 0; i < 3; ++i) {
    controller.stop();
    const auto restarted = Clock::now();
    controller.start();
    controller.settle(restarted);
  }
  const long after_changes = rss_kib();
  const long heap_after_changes = heap_in_use_kib();
  std::printf("after 3 leader changes: RSS %ld KiB (%+ld KiB)\n", after_changes,
              after_changes - after_sync);

  start = Clock::now();
  bench::create_claims(env.api(), "scale", "ours-", ours, "nfs", e2e::kProvisioner);
  while (bench::volumes_of(env.api(), "nfs") < static_cast<std::size_t>(ours) &&
         seconds_since(start) < 600)
    std::this_thread::sleep_for(500ms);
  const double burst_seconds = seconds_since(start);
  controller.wait_idle(Clock::now());
  const long after_burst = rss_kib();
  const long heap_after_burst = heap_in_use_kib();
  std::printf(
      "%d claims of ours provisioned (PVs made) in %.1f s; RSS %ld KiB (%+ld KiB, %.0f bytes per "
      "claim of ours; in use on the heap: %+ld KiB, %.0f bytes per claim of ours)\n",
      ours, burst_seconds, after_burst, after_burst - after_changes,
      ours ? 1024.0 * static_cast<double>(after_burst - after_changes) / ours : 0.0,
      heap_after_burst - heap_after_changes,
      ours ? 1024.0 * static_cast<double>(heap_after_burst - heap_after_changes) / ours : 0.0);

  // A resync: every claim and volume re-enqueued and worked once.
  controller.stop();
  env.options().resync = 2s;
  controller.start();
  std::this_thread::sleep_for(1s);  // the start's own work done
  const double cpu0 = cpu_seconds();
  std::this_thread::sleep_for(10s);  // five resyncs
  std::printf("CPU per resync: %.3f s (%d claims, %d of ours)\n", (cpu_seconds() - cpu0) / 5,
              claims, ours);
  return 0;
}
