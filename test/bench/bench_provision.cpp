// bench_provision: 1000 claims created at once against the test API server and nfs-ganesha.
// Runs the nfs-provisioner binary as a child process when it was built (else the in-process
// Controller) and prints: seconds until all are Bound, claims per second, p50/p99
// claim -> Bound latency, the provisioner's idle and peak RSS and CPU seconds; then the same
// for deleting them. Prints figures only; asserts nothing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/kube/api_client.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/kube_config.h"
#include "provisioner/kube/resource.h"
#include "test/apiserver/test_apiserver.h"
#include "test/nfs_server/ganesha_server.h"
#ifndef NP_PROVISIONER_BIN
#include "nfs/export_pool.h"
#include "provisioner/controller/controller.h"
#endif

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace kube = nfsprov::kube;

namespace {

constexpr const char* kProvisioner = "bench.example.com/nfs";
constexpr int kClaims = 1000;

// The provisioner as a child process; SIGTERM (then SIGKILL) and reaped on destruction.
// Its stderr (the log) goes to a file, read line by line so the bench can note when the
// start-up lines appear (time from exec to "started" is one of the figures).
class Child {
 public:
  Child(std::vector<std::string> args, const std::string& log_path) : log_(log_path) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    start_ = Clock::now();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] {
      std::string pending;
      char buf[65536];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t eol;
        while ((eol = pending.find('\n')) != std::string::npos) {
          const std::string line = pending.substr(0, eol + 1);
          pending.erase(0, eol + 1);
          log_ << line;
          std::lock_guard lock(mutex_);
          for (const char* marker : {"started provisioner controller", "caches synced"})
            if (line.find(marker) != std::string::npos) seen_.try_emplace(marker, Clock::now());
          changed_.notify_all();
        }
      }
      ::close(fd);
    });
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      bool reaped = false;
      for (int i = 0; i < 50 && !reaped; ++i) {
        reaped = ::waitpid(pid_, nullptr, WNOHANG) == pid_;
        if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!reaped) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    if (reader_.joinable()) reader_.join();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  // Milliseconds from fork to the first log line containing marker (-1: not within 30 s).
  double wait_for_line(const char* marker) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(30), [&] { return seen_.count(marker) > 0; });
    auto it = seen_.find(marker);
    return it == seen_.end()
               ? -1
               : std::chrono::duration<double, std::milli>(it->second - start_).count();
  }

 private:
  std::ofstream log_;
  Clock::time_point start_;
  pid_t pid_ = -1;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Clock::time_point> seen_;
  std::thread reader_;
};

long status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::vector<std::string> f;
  std::string w;
  while (rest >> w) f.push_back(w);
  // Fields 14 and 15 of stat (utime, stime); f[0] is field 3.
  return (std::stod(f.at(11)) + std::stod(f.at(12))) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void create_claims(kube::ApiClient& api, std::map<std::string, Clock::time_point>& created,
                   std::mutex& mutex) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < kClaims; i += 4) {
        const std::string name = "claim-" + std::to_string(i);
        json claim = {{"apiVersion", "v1"},
                      {"kind", "PersistentVolumeClaim"},
                      {"metadata", {{"name", name}, {"namespace", "default"}}},
                      {"spec",
                       {{"storageClassName", "bench"},
                        {"accessModes", {"ReadWriteMany"}},
                        {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}};
        {
          std::lock_guard lock(mutex);
          created[name] = Clock::now();
        }
        api.create(kube::kPersistentVolumeClaims, "default", claim);
      }
    });
  for (auto& t : threads) t.join();
}

}  // namespace

int main([[maybe_unused]] int argc, [[maybe_unused]] char** argv) {
  nfsprov::testing::TestApiServer::Options server_options;
  server_options.history = 50000;
  nfsprov::testing::TestApiServer server(server_options);
  nfsprov::testing::GaneshaServer nfs;
  kube::ClientOptions client_options;
  client_options.qps = 100000;
  client_options.burst = 100000;
  kube::ApiClient api(kube::load_kubeconfig_file(server.kubeconfig_path()), client_options);
  api.create(kube::kStorageClasses, {},
             {{"apiVersion", "storage.k8s.io/v1"},
              {"kind", "StorageClass"},
              {"metadata", {{"name", "bench"}}},
              {"provisioner", kProvisioner},
              {"parameters", {{"archiveOnDelete", "false"}}}});

  const auto address = nfs.address();
#ifdef NP_PROVISIONER_BIN
  // The deployed configuration: leader election on, the client's default rate limits.
  // Arguments given to the bench are passed on (e.g. --kube-api-qps 1000 to compare).
  std::vector<std::string> args{NP_PROVISIONER_BIN,
                                "--kubeconfig",
                                server.kubeconfig_path().string(),
                                "--provisioner-name",
                                kProvisioner,
                                "--nfs-server",
                                address.server,
                                "--nfs-path",
                                address.export_path,
                                "--nfs-port",
                                std::to_string(address.nfs_port),
                                "--mount-port",
                                std::to_string(address.mount_port),
                                "--leader-elect-namespace",
                                "default",
                                "--metrics-address",
                                ""};
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  const std::string log_path = "/tmp/bench_provision." + std::to_string(::getpid()) + ".log";
  Child provisioner(args, log_path);
  const pid_t pid = provisioner.pid();
  std::cout << "mode: nfs-provisioner binary " << NP_PROVISIONER_BIN << " (log: " << log_path
            << ")\n";
  std::printf("start: 'started' line after %.0f ms, caches synced after %.0f ms\n",
              provisioner.wait_for_line("started provisioner controller"),
              provisioner.wait_for_line("caches synced"));
#else
  std::ofstream null_log("/dev/null");
  nfsprov::log::Logger logger(null_log);
  nfsprov::nfs::ExportPools pools(4);
  nfsprov::controller::ControllerOptions options;
  options.provisioner_name = kProvisioner;
  options.default_export = address;
  nfsprov::controller::Controller controller(api, pools, options, logger);
  std::jthread run([&](std::stop_token st) { controller.run(st); });
  const pid_t pid = ::getpid();
  std::cout << "mode: in-process controller (figures include the bench itself)\n";
#endif
  std::this_thread::sleep_for(std::chrono::seconds(2));
  // Anonymous memory is the program's own; file-backed is mostly shared libraries' pages.
  std::printf("idle RSS: %.1f MB (anonymous %.1f MB, file-backed %.1f MB)\n",
              static_cast<double>(status_kb(pid, "VmRSS")) / 1024,
              static_cast<double>(status_kb(pid, "RssAnon")) / 1024,
              static_cast<double>(status_kb(pid, "RssFile")) / 1024);
  const double cpu_before = cpu_seconds(pid);

  // Watch claims from now on, noting when each is first seen Bound.
  std::mutex mutex;
  std::map<std::string, Clock::time_point> created, bound;
  std::atomic<bool> stop_watch{false};
  const std::string rv =
      api.list(kube::kPersistentVolumeClaims, "default")["metadata"].value("resourceVersion", "");
  std::jthread watcher([&] {
    kube::WatchOptions wo;
    wo.resource_version = rv;
    while (!stop_watch) {
      try {
        api.watch(
            kube::kPersistentVolumeClaims, "default", wo,
            [&](const json& event) {
              const json& obj = event["object"];
              wo.resource_version = obj["metadata"].value("resourceVersion", wo.resource_version);
              if (obj.contains("status") && obj["status"].value("phase", "") == "Bound") {
                std::lock_guard lock(mutex);
                bound.try_emplace(obj["metadata"]["name"].get<std::string>(), Clock::now());
              }
              return !stop_watch.load();
            },
            [&] { return stop_watch.load(); });
      } catch (const std::exception& e) {
        std::cerr << "watch: " << e.what() << "\n";
      }
    }
  });

  const auto start = Clock::now();
  create_claims(api, created, mutex);
  const double create_s = std::chrono::duration<double>(Clock::now() - start).count();
  const auto deadline = start + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    {
      std::lock_guard lock(mutex);
      if (bound.size() >= kClaims) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<double> latencies;
  Clock::time_point last = start;
  {
    std::lock_guard lock(mutex);
    for (const auto& [name, when] : bound) {
      latencies.push_back(std::chrono::duration<double, std::milli>(when - created[name]).count());
      last = std::max(last, when);
    }
  }
  const double all_s = std::chrono::duration<double>(last - start).count();
  std::printf("claims created by the bench in %.2f s\n", create_s);
  std::printf("bound: %zu/%d in %.2f s (%.0f claims/s)\n", latencies.size(), kClaims, all_s,
              static_cast<double>(latencies.size()) / all_s);
  std::printf("claim->Bound latency: p50 %.0f ms, p99 %.0f ms\n", percentile(latencies, 0.5),
              percentile(latencies, 0.99));
  std::printf("provisioner peak RSS (VmHWM): %.1f MB, CPU for the burst: %.2f s\n",
              static_cast<double>(status_kb(pid, "VmHWM")) / 1024, cpu_seconds(pid) - cpu_before);
  stop_watch = true;

  // Deletion: every claim deleted at once, until no PV is left.
  const double cpu_mid = cpu_seconds(pid);
  const auto del_start = Clock::now();
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = t; i < kClaims; i += 4)
          api.remove(kube::kPersistentVolumeClaims, "default", "claim-" + std::to_string(i));
      });
    for (auto& t : threads) t.join();
  }
  std::size_t left = kClaims;
  while (Clock::now() < del_start + std::chrono::seconds(120)) {
    left = api.list(kube::kPersistentVolumes)["items"].size();
    if (left == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double del_s = std::chrono::duration<double>(Clock::now() - del_start).count();
  std::printf("deleted: %zu PVs left after %.2f s (%.0f volumes/s), CPU %.2f s, peak RSS %.1f MB\n",
              left, del_s, static_cast<double>(kClaims - left) / del_s, cpu_seconds(pid) - cpu_mid,
              static_cast<double>(status_kb(pid, "VmHWM")) / 1024);
  return 0;
}
