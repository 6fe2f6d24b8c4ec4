// bench_scale_processes CLAIMS OURS_PERCENT [NFS_SUBDIR_BINARY]: issue 18's scale figures for
// the provisioner as a process, and for nfs-subdir-external-provisioner measured the same way
// (client-go caches every claim and volume as a typed object), on one real control plane and
// nfs-ganesha. Each candidate's RSS (VmRSS of its process) is read:
//  1. in an empty cluster, once its caches are synced and 25 s have passed;
//  2. with (100 - OURS_PERCENT) % of CLAIMS claims of another provisioner's class present,
//     each Bound to a CSI volume of its own (scale_objects.h);
//  3. after a burst of OURS_PERCENT % of CLAIMS claims of its own class, once all their PVs
//     exist and 25 s have passed.
// Each candidate has a class and a provisioner name of its own. The burst of the one measured
// first stays: for the second, its claims and PVs are one more provisioner's (nfs-provisioner
// runs second, the harder place). nfs-subdir needs root: it writes into /persistentvolumes,
// made a symlink to the export's directory for the run (test/bench/nfs-subdir-side-by-side.sh
// builds its binary outside the repository). Figures only.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/kube/resource.h"
#include "test/bench/scale_objects.h"
#include "test/e2e/e2e_env.h"
#include "test/e2e/replica.h"
#include "test/support/child_process.h"
#include "test/support/objects.h"

using namespace nfsprov;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// How long a candidate runs before its RSS is read: its start's (or burst's) work done and the
// quiet after it noticed (nfs-provisioner gives freed heap back at a tick without work, every
// 10 s).
constexpr auto kSettle = 25s;

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmRSS:")) return std::atol(line.c_str() + 6);
  return -1;
}

struct Candidate {
  std::string name;
  std::string provisioner;  // its provisioner name, and its class's
  std::string ready_text;   // in its log once its caches are synced
  std::function<std::unique_ptr<nfsprov::testing::ChildProcess>(const fs::path& log)> start;
  long empty = 0, with_foreign = 0, before_burst = 0, after_burst = 0;
  double burst_seconds = 0;
};

std::unique_ptr<nfsprov::testing::ChildProcess> started(Candidate& c, const fs::path& log) {
  auto child = c.start(log);
  if (!child->wait_for_output(c.ready_text, 120s)) {
    std::fprintf(stderr, "%s did not get ready:\n%s\n", c.name.c_str(), child->output().c_str());
    std::exit(1);
  }
  return child;
}

}  // namespace

int main(int argc, char** argv) {
  const int claims = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int ours_percent = argc > 2 ? std::atoi(argv[2]) : 10;
  const std::string subdir_binary = argc > 3 ? argv[3] : "";
  if (claims <= 0 || ours_percent < 0 || ours_percent > 100) {
    std::fprintf(stderr, "usage: bench_scale_processes CLAIMS OURS_PERCENT [NFS_SUBDIR_BINARY]\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int burst = claims * ours_percent / 100;
  const int foreign = claims - burst;
  e2e::E2eEnv env;
  env.ensure_namespace("scale");
  const auto nfs = env.nfs().address();
  const fs::path logs = fs::temp_directory_path() / "bench_scale_processes";
  fs::create_directories(logs);

  std::vector<Candidate> candidates;
  if (!subdir_binary.empty()) {
    const fs::path root = "/persistentvolumes";
    if (fs::is_symlink(root)) fs::remove(root);
    if (fs::exists(root)) {
      std::fprintf(stderr, "%s exists and is not a symlink: not touching it\n", root.c_str());
      return 2;
    }
    fs::create_directory_symlink(env.export_dir(), root);
    candidates.push_back(
        {"nfs-subdir", "bench.example/nfs-subdir", "Started provisioner controller",
         [&](const fs::path& log) {
           return std::make_unique<nfsprov::testing::ChildProcess>(
               std::vector<std::string>{subdir_binary},
               std::vector<std::string>{"NFS_SERVER=127.0.0.1", "NFS_PATH=" + nfs.export_path,
                                        "PROVISIONER_NAME=bench.example/nfs-subdir",
                                        "KUBECONFIG=" + env.cluster().admin_kubeconfig().string(),
                                        "POD_NAMESPACE=default", "HOME=/tmp"},
               log);
         }});
  }
  candidates.push_back(
      {"nfs-provisioner", "bench.example/nfs-provisioner", "caches synced",
       [&](const fs::path& log) {
         return std::make_unique<nfsprov::testing::ChildProcess>(
             std::vector<std::string>{
                 NP_PROVISIONER_BIN, "--kubeconfig=" + env.provisioner_kubeconfig().string(),
                 "--provisioner-name=bench.example/nfs-provisioner", "--nfs-server=127.0.0.1",
                 "--nfs-path=" + nfs.export_path, "--nfs-port=" + std::to_string(nfs.nfs_port),
                 "--mount-port=" + std::to_string(nfs.mount_port), "--metrics-address="},
             std::vector<std::string>{"POD_NAME=bench-ours",
                                      "POD_NAMESPACE=" + std::string(e2e::kInstallNamespace)},
             log);
       }});
  const auto make_class = [&](const std::string& name, const std::string& provisioner) {
    env.api().create(kube::kStorageClasses, {},
                     {{"apiVersion", "storage.k8s.io/v1"},
                      {"kind", "StorageClass"},
                      {"metadata", {{"name", name}}},
                      {"provisioner", provisioner},
                      {"reclaimPolicy", "Delete"},
                      {"parameters", {{"archiveOnDelete", "false"}}}});
  };
  make_class("elsewhere", "ebs.csi.aws.com");
  for (const auto& c : candidates) make_class(c.name, c.provisioner);

  for (auto& c : candidates) {
    auto child = started(c, logs / (c.name + "-empty.log"));
    std::this_thread::sleep_for(kSettle);
    c.empty = rss_kib(child->pid());
  }
  auto start = Clock::now();
  bench::create_bound_claims(env.api(), "scale", "other-", foreign, "elsewhere", "ebs.csi.aws.com");
  std::printf("%d claims of another provisioner, each with its volume, created in %.1f s\n",
              foreign, std::chrono::duration<double>(Clock::now() - start).count());
  for (auto& c : candidates) {
    auto child = started(c, logs / (c.name + "-foreign.log"));
    std::this_thread::sleep_for(kSettle);
    c.with_foreign = rss_kib(child->pid());
  }
  for (auto& c : candidates) {
    auto child = started(c, logs / (c.name + "-burst.log"));
    std::this_thread::sleep_for(kSettle);
    c.before_burst = rss_kib(child->pid());
    start = Clock::now();
    bench::create_claims(env.api(), "scale", c.name + "-", burst, c.name, c.provisioner);
    while (bench::volumes_of(env.api(), c.name) < static_cast<std::size_t>(burst) &&
           Clock::now() - start < 600s)
      std::this_thread::sleep_for(500ms);
    c.burst_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(kSettle);
    c.after_burst = rss_kib(child->pid());
  }

  std::printf("\n| %d claims, %d%% ours | ", claims, ours_percent);
  for (const auto& c : candidates) std::printf("%s | ", c.name.c_str());
  std::printf("\n|---|");
  for (std::size_t i = 0; i < candidates.size(); ++i) std::printf("---|");
  const auto row = [&](const char* what, const std::function<std::string(const Candidate&)>& f) {
    std::printf("\n| %s | ", what);
    for (const auto& c : candidates) std::printf("%s | ", f(c).c_str());
  };
  const auto mib = [](long kib) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(kib) / 1024);
    return std::string(text);
  };
  row("RSS, empty cluster", [&](const Candidate& c) { return mib(c.empty); });
  row("RSS with the foreign claims", [&](const Candidate& c) { return mib(c.with_foreign); });
  row("per foreign claim", [&](const Candidate& c) {
    return std::to_string(1024 * (c.with_foreign - c.empty) / std::max(foreign, 1)) + " B";
  });
  row("burst of its own: all PVs made", [&](const Candidate& c) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", c.burst_seconds);
    return std::string(text);
  });
  row("RSS 25 s after the burst", [&](const Candidate& c) { return mib(c.after_burst); });
  row("per claim of its own", [&](const Candidate& c) {
    return std::to_string(1024 * (c.after_burst - c.before_burst) / std::max(burst, 1)) + " B";
  });
  std::printf("\n");
  if (!subdir_binary.empty()) fs::remove("/persistentvolumes");
  return 0;
}
