// bench_provision: claims created at once on the real control plane (etcd, kube-apiserver,
// kube-controller-manager binding the claims, as the e2e tests start it) with a real
// nfs-ganesha, provisioned by the nfs-provisioner binary (leader election on, default limits)
// and, when --nfs-subdir names its binary, by nfs-subdir-external-provisioner in the same run
// (test/bench/nfs-subdir-side-by-side.sh builds it outside the repository). Each round gives
// each provisioner a fresh class, provisioner name and namespace of its own.
//
// First the ceiling: the writes one provision needs (a PV create and two Events), made by a
// plain client with many connections and no rate limit, as fast as the server takes them;
// each provisioner's claims/s is then also a fraction of that.
//
// Per provisioner: start -> ready, idle RSS (anonymous / file-backed), threads, idle CPU per
// minute, then the burst: seconds until every PV exists and every claim is Bound, claims/s,
// p50/p99 claim -> PV and claim -> Bound, API requests per claim (from the audit log, by
// User-Agent), the API server's latency to a probe GET during the burst, peak RSS and CPU;
// RSS after the burst; and deleting them all. Prints figures; asserts nothing.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <latch>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"
#include "test/e2e/e2e_env.h"
#include "test/e2e/replica.h"
#include "test/support/child_process.h"
#include "test/support/objects.h"
#include "test/support/temp_dir.h"

using namespace nfsprov;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Settings {
  int claims = 1000;
  int rounds = 1;
  std::string binary = NP_PROVISIONER_BIN;  // ours
  std::string nfs_subdir;                   // its binary; empty: ours only
  int kcm_qps = 1000;  // kube-controller-manager's client limit (its default is 20)
  int idle_seconds = 30;
  int limit_seconds = 300;  // per burst and per deletion
  bool handed_over =
      false;  // claims made with the hand-over annotations kube-controller-manager sets
  std::vector<std::string> extra;  // more arguments for nfs-provisioner
  std::vector<std::string> env;    // more environment for nfs-provisioner (NAME=VALUE)
};

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}
double millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

long status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(field + ":")) return std::atol(line.c_str() + field.size() + 1);
  return -1;
}

double mib(long kib) {
  return static_cast<double>(kib) / 1024;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string w; rest >> w;) f.push_back(w);
  // utime and stime are fields 14 and 15 of stat; f[0] is field 3.
  return (std::stod(f.at(11)) + std::stod(f.at(12))) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Context switches of every thread of pid so far (each is one wake-up, roughly).
long context_switches(pid_t pid) {
  long total = 0;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "status");
    for (std::string line; std::getline(in, line);)
      if (line.starts_with("voluntary_ctxt_switches:") ||
          line.starts_with("nonvoluntary_ctxt_switches:"))
        total += std::atol(line.c_str() + line.find(':') + 1);
  }
  return total;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

kube::ApiClient unlimited_client(const fs::path& kubeconfig) {
  kube::ClientOptions options;
  options.qps = 1e9;
  options.burst = 1 << 30;
  return kube::ApiClient(kube::load_kubeconfig_file(kubeconfig), options);
}

// Runs body(i) for i in [0, count) on threads threads.
template <typename Body>
void parallel(int count, int threads, Body body) {
  std::atomic<int> next{0};
  std::vector<std::jthread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = next++; i < count; i = next++) body(i);
    });
}

json event_on_claim(const std::string& ns, const std::string& claim, const std::string& reason) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"generateName", claim + "."}, {"namespace", ns}}},
      {"involvedObject", {{"kind", "PersistentVolumeClaim"}, {"namespace", ns}, {"name", claim}}},
      {"reason", reason},
      {"message", "External provisioner is provisioning volume for claim"},
      {"type", "Normal"},
      {"source", {{"component", "bench-ceiling"}}},
      {"count", 1}};
}

json volume(const std::string& name, const std::string& class_name) {
  json volume = testing::nfs_volume_object(name, class_name);
  volume["spec"]["persistentVolumeReclaimPolicy"] = "Delete";
  return volume;
}

// The ceiling: what one provision writes (Event, PV create, Event), from a plain client with
// threads connections and no client-side limit, for count volumes; then deleting the PVs.
// Prints both rates; returns the provisions per second.
double ceiling(e2e::E2eEnv& env, int count, int threads) {
  env.ensure_namespace("ceiling");
  auto api = unlimited_client(env.cluster().admin_kubeconfig());
  const std::string tag = "ceiling-" + std::to_string(threads) + "-";
  const auto start = Clock::now();
  parallel(count, threads, [&](int i) {
    const std::string name = tag + std::to_string(i);
    api.create(kube::kEvents, "ceiling", event_on_claim("ceiling", name, "Provisioning"));
    api.create(kube::kPersistentVolumes, {}, volume(name, "ceiling"));
    api.create(kube::kEvents, "ceiling", event_on_claim("ceiling", name, "ProvisioningSucceeded"));
  });
  const double took = seconds(Clock::now() - start);
  const auto del = Clock::now();
  parallel(count, threads,
           [&](int i) { api.remove(kube::kPersistentVolumes, {}, tag + std::to_string(i)); });
  const double del_took = seconds(Clock::now() - del);
  std::printf(
      "ceiling, %d connections: %d provisions' writes (Event, PV, Event) in %.2f s = %.0f "
      "provisions/s (%.0f writes/s); %d PV deletes in %.2f s = %.0f/s\n",
      threads, count, took, count / took, 3 * count / took, count, del_took, count / del_took);
  return count / took;
}

// Records when each object of a collection was first seen in a given state, from a watch.
class FirstSeen {
 public:
  using Match = std::function<std::optional<std::string>(const json& object)>;
  FirstSeen(kube::ApiClient& api, const kube::Resource& resource, std::string ns, Match match)
      : thread_([this, &api, resource, ns = std::move(ns),
                 match = std::move(match)](std::stop_token stop) {
          kube::WatchOptions options;
          try {
            options.resource_version =
                api.list(resource, ns, {.limit = 1})["metadata"].value("resourceVersion", "");
          } catch (const std::exception& e) {
            std::cerr << "list: " << e.what() << "\n";
          }
          listed_.count_down();
          while (!stop.stop_requested()) {
            try {
              api.watch(
                  resource, ns, options,
                  [&](const json& event) {
                    const json& object = event["object"];
                    options.resource_version =
                        object["metadata"].value("resourceVersion", options.resource_version);
                    if (auto key = match(object)) {
                      std::lock_guard lock(mutex_);
                      seen_.try_emplace(*key, Clock::now());
                    }
                    return true;
                  },
                  stop);
            } catch (const std::exception& e) {
              if (!stop.stop_requested()) std::cerr << "watch: " << e.what() << "\n";
            }
          }
        }) {
    listed_.wait();
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }
  std::map<std::string, Clock::time_point> snapshot() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::latch listed_{1};  // the watch starts after now: nothing the bench does is missed
  std::map<std::string, Clock::time_point> seen_;
  std::jthread thread_;
};

// The API server's latency to one small GET every 50 ms, while it lasts.
class LatencyProbe {
 public:
  explicit LatencyProbe(const fs::path& kubeconfig)
      : api_(unlimited_client(kubeconfig)), thread_([this](std::stop_token stop) {
          while (!stop.stop_requested()) {
            const auto start = Clock::now();
            try {
              api_.get(kube::kNamespaces, {}, "default");
              std::lock_guard lock(mutex_);
              samples_.push_back(millis(Clock::now() - start));
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(50ms);
          }
        }) {}
  std::string summary() {
    thread_.request_stop();
    thread_.join();
    char out[128];
    std::snprintf(out, sizeof out, "p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu GETs)",
                  percentile(samples_, 0.5), percentile(samples_, 0.99), percentile(samples_, 1.0),
                  samples_.size());
    return out;
  }

 private:
  kube::ApiClient api_;
  std::mutex mutex_;
  std::vector<double> samples_;
  std::jthread thread_;
};

// The requests in the audit log between two offsets, by requester ("user agent-name", the
// User-Agent up to its first '/') and then by "verb resource[/subresource]".
using Requests = std::map<std::string, std::map<std::string, long>>;
Requests audit_requests(const fs::path& log, std::streamoff from, std::streamoff to) {
  std::ifstream in(log);
  in.seekg(from);
  Requests out;
  for (std::string line; in.tellg() < to && std::getline(in, line);) {
    const json entry = json::parse(line, nullptr, false);
    if (entry.is_discarded()) continue;
    const std::string agent = entry.value("userAgent", "");
    const std::string who =
        entry.value("/user/username"_json_pointer, "") + " " + agent.substr(0, agent.find('/'));
    const json& ref = entry.value("objectRef", json::object());
    std::string what = entry.value("verb", "") + " " + ref.value("resource", "");
    if (ref.contains("subresource")) what += "/" + ref.value("subresource", "");
    ++out[who][what];
  }
  return out;
}

long total_of(const std::map<std::string, long>& counts) {
  long total = 0;
  for (const auto& [what, count] : counts) total += count;
  return total;
}

std::streamoff size_of(const fs::path& path) {
  std::error_code ec;
  return static_cast<std::streamoff>(fs::file_size(path, ec));
}

// One run's figures, in the order printed, for the table at the end.
struct Figure {
  std::string what;
  double value;
  int decimals;
};
using Figures = std::vector<Figure>;

struct Candidate {
  std::string key;         // ours, nfs-subdir
  std::string requester;   // its requests in the audit log: "user agent-name"
  std::string ready_line;  // logged once its caches are synced and it works
  std::function<std::vector<std::string>(const std::string& provisioner)> argv;
  std::function<std::vector<std::string>(const std::string& provisioner)> environment;
};

Figures run(e2e::E2eEnv& env, const Settings& settings, const Candidate& who, int round,
            double ceiling_rate) {
  Figures figures;
  const auto note = [&figures](std::string what, double value, int decimals = 0) {
    figures.push_back({std::move(what), value, decimals});
  };
  const std::string id = who.key + "-" + std::to_string(round);
  const std::string ns = "bench-" + id, provisioner = "bench.example.com/" + id;
  auto admin = unlimited_client(env.cluster().admin_kubeconfig());
  env.ensure_namespace(ns);
  admin.create(kube::kStorageClasses, {},
               {{"apiVersion", "storage.k8s.io/v1"},
                {"kind", "StorageClass"},
                {"metadata", {{"name", id}}},
                {"provisioner", provisioner},
                {"parameters", {{"archiveOnDelete", "false"}}},
                {"reclaimPolicy", "Delete"}});

  testing::TempDir dir;
  const fs::path log = fs::path("/tmp") / ("bench_provision." + id + ".log");
  const auto started = Clock::now();
  testing::ChildProcess child(who.argv(provisioner), who.environment(provisioner), log);
  const pid_t pid = child.pid();
  const bool ready = child.wait_for_output(who.ready_line, 60s);
  std::printf("\n== %s (round %d, log %s)\n", who.key.c_str(), round, log.c_str());
  if (!ready) {
    std::printf("not ready after 60 s:\n%s\n", child.output().c_str());
    return figures;
  }
  note("start -> ready, ms", millis(Clock::now() - started));
  std::printf("start -> ready (\"%s\"): %.0f ms\n", who.ready_line.c_str(), figures.back().value);
  std::this_thread::sleep_for(2s);
  const double cpu_idle0 = cpu_seconds(pid);
  const long switches0 = context_switches(pid);
  std::this_thread::sleep_for(std::chrono::seconds(settings.idle_seconds));
  note("idle RSS, MiB", mib(status_kib(pid, "VmRSS")), 1);
  note("idle RSS anonymous, MiB", mib(status_kib(pid, "RssAnon")), 1);
  note("idle threads", static_cast<double>(status_kib(pid, "Threads")));
  note("idle CPU, s per minute", (cpu_seconds(pid) - cpu_idle0) * 60 / settings.idle_seconds, 3);
  note("idle wake-ups per second",
       static_cast<double>(context_switches(pid) - switches0) / settings.idle_seconds);
  std::printf(
      "idle: RSS %.1f MiB (anonymous %.1f, file-backed %.1f), %.0f threads, CPU %.3f s per "
      "minute, %.0f wake-ups per second (over %d s)\n",
      figures[1].value, figures[2].value, mib(status_kib(pid, "RssFile")), figures[3].value,
      figures[4].value, figures[5].value, settings.idle_seconds);

  // The burst.
  FirstSeen bound(admin, kube::kPersistentVolumeClaims, ns,
                  [](const json& claim) -> std::optional<std::string> {
                    if (claim.value("/status/phase"_json_pointer, "") != "Bound") return {};
                    return claim["metadata"]["name"].get<std::string>();
                  });
  FirstSeen made(admin, kube::kPersistentVolumes, {},
                 [&ns](const json& pv) -> std::optional<std::string> {
                   if (pv.value("/spec/claimRef/namespace"_json_pointer, "") != ns) return {};
                   return pv["spec"]["claimRef"]["name"].get<std::string>();
                 });
  FirstSeen handed(
      admin, kube::kPersistentVolumeClaims, ns,
      [&provisioner](const json& claim) -> std::optional<std::string> {
        const json& notes = claim["metadata"].value("annotations", json::object());
        if (notes.value("volume.kubernetes.io/storage-provisioner", "") != provisioner &&
            notes.value("volume.beta.kubernetes.io/storage-provisioner", "") != provisioner)
          return {};
        return claim["metadata"]["name"].get<std::string>();
      });
  std::mutex mutex;
  std::map<std::string, Clock::time_point> created;
  const auto audit_from = size_of(env.cluster().audit_log());
  const double cpu0 = cpu_seconds(pid);
  LatencyProbe probe(env.cluster().admin_kubeconfig());
  const auto start = Clock::now();
  // 32 connections: the claims come faster than a provisioner takes them (at 8 the bench
  // itself was the limit).
  parallel(settings.claims, 32, [&](int i) {
    const std::string name = "claim-" + std::to_string(i);
    json claim = testing::claim_object(ns, name, id);
    if (settings.handed_over)
      claim["metadata"]["annotations"] = {
          {"volume.kubernetes.io/storage-provisioner", provisioner},
          {"volume.beta.kubernetes.io/storage-provisioner", provisioner}};
    {
      std::lock_guard lock(mutex);
      created[name] = Clock::now();
    }
    admin.create(kube::kPersistentVolumeClaims, ns, claim);
  });
  const double create_s = seconds(Clock::now() - start);
  const auto n = static_cast<std::size_t>(settings.claims);
  const auto limit = start + std::chrono::seconds(settings.limit_seconds);
  while (Clock::now() < limit && (made.size() < n || bound.size() < n))
    std::this_thread::sleep_for(20ms);
  const std::string latency = probe.summary();
  const double burst_cpu = cpu_seconds(pid) - cpu0;
  // The audit log is written as requests end: a moment for the last ones.
  std::this_thread::sleep_for(1s);
  const auto requests =
      audit_requests(env.cluster().audit_log(), audit_from, size_of(env.cluster().audit_log()));

  auto latencies = [&](const std::map<std::string, Clock::time_point>& seen, double& all_s) {
    std::vector<double> out;
    Clock::time_point last = start;
    for (const auto& [name, when] : seen) {
      out.push_back(millis(when - created[name]));
      last = std::max(last, when);
    }
    all_s = seconds(last - start);
    return out;
  };
  double made_s = 0, bound_s = 0;
  const auto to_pv = latencies(made.snapshot(), made_s);
  const auto to_bound = latencies(bound.snapshot(), bound_s);
  const double rate = static_cast<double>(to_pv.size()) / made_s;
  std::vector<double> handed_to_pv;
  {
    const auto was_handed = handed.snapshot();
    for (const auto& [name, when] : made.snapshot())
      if (auto it = was_handed.find(name); it != was_handed.end())
        handed_to_pv.push_back(millis(when - it->second));
  }
  double handed_s = 0;
  const auto to_handed = latencies(handed.snapshot(), handed_s);
  note("PVs made", static_cast<double>(to_pv.size()));
  note("seconds to all PVs made", made_s, 2);
  note("claims/s (PVs made)", rate);
  note("% of the ceiling", 100 * rate / ceiling_rate);
  note("claim -> PV p50, ms", percentile(to_pv, 0.5));
  note("claim -> PV p99, ms", percentile(to_pv, 0.99));
  note("handed over -> PV p99, ms", percentile(handed_to_pv, 0.99));
  note("claims Bound", static_cast<double>(to_bound.size()));
  note("seconds to all Bound", bound_s, 2);
  note("claim -> Bound p99, ms", percentile(to_bound, 0.99));
  std::printf("burst: %d claims created by the bench in %.2f s\n", settings.claims, create_s);
  std::printf(
      "  PVs made: %zu/%d in %.2f s (%.0f claims/s, %.0f %% of the ceiling); claim -> PV p50 "
      "%.0f ms, p99 %.0f ms\n",
      to_pv.size(), settings.claims, made_s, rate, 100 * rate / ceiling_rate,
      percentile(to_pv, 0.5), percentile(to_pv, 0.99));
  std::printf(
      "  handed over (storage-provisioner annotation%s): %zu in %.2f s; claim -> handed p50 %.0f "
      "ms, p99 %.0f ms; handed -> PV p50 %.0f ms, p99 %.0f ms\n",
      settings.handed_over ? ", set by the bench" : " set by kube-controller-manager",
      to_handed.size(), handed_s, percentile(to_handed, 0.5), percentile(to_handed, 0.99),
      percentile(handed_to_pv, 0.5), percentile(handed_to_pv, 0.99));
  std::printf(
      "  Bound: %zu/%d in %.2f s (%.0f claims/s); claim -> Bound p50 %.0f ms, p99 %.0f ms\n",
      to_bound.size(), settings.claims, bound_s, static_cast<double>(to_bound.size()) / bound_s,
      percentile(to_bound, 0.5), percentile(to_bound, 0.99));
  const double per = std::max<double>(1, static_cast<double>(to_pv.size()));
  for (const auto& [requester, counts] : requests) {
    const long total = total_of(counts);
    const bool candidate = requester == who.requester;
    if (!candidate && total < settings.claims / 2) continue;  // the probe, leader elections
    std::string by_kind;
    for (const auto& [what, count] : counts)
      if (candidate || count >= settings.claims / 4)
        by_kind += (by_kind.empty() ? "" : ", ") + what + " " + std::to_string(count);
    if (candidate) note("API requests per PV made", static_cast<double>(total) / per, 2);
    std::printf("  API requests by %s%s: %ld, %.2f per PV made (%s)\n", requester.c_str(),
                candidate ? " (the provisioner)" : "", total, static_cast<double>(total) / per,
                by_kind.c_str());
  }
  std::printf("  API server latency to a probe GET meanwhile: %s\n", latency.c_str());
  note("peak RSS, MiB", mib(status_kib(pid, "VmHWM")), 1);
  note("CPU for the burst, s", burst_cpu, 2);
  std::printf("  peak RSS (VmHWM) %.1f MiB, CPU for the burst %.2f s\n",
              mib(status_kib(pid, "VmHWM")), burst_cpu);
  std::this_thread::sleep_for(10s);
  note("RSS 10 s after the burst, MiB", mib(status_kib(pid, "VmRSS")), 1);
  std::printf("  10 s after the burst: RSS %.1f MiB (anonymous %.1f)\n",
              mib(status_kib(pid, "VmRSS")), mib(status_kib(pid, "RssAnon")));
  // Ours gives memory back at the first of its 10 s ticks after the burst, once the queue
  // is empty and its Events are posted: by now, whatever the ticks' phase.
  std::this_thread::sleep_for(20s);
  note("RSS 30 s after the burst, MiB", mib(status_kib(pid, "VmRSS")), 1);
  std::printf("  30 s after the burst: RSS %.1f MiB (anonymous %.1f)\n",
              mib(status_kib(pid, "VmRSS")), mib(status_kib(pid, "RssAnon")));

  // Deletion: every claim at once, until none of this class's PVs is left.
  const double cpu1 = cpu_seconds(pid);
  const auto audit_delete_from = size_of(env.cluster().audit_log());
  const auto del_start = Clock::now();
  parallel(settings.claims, 8, [&](int i) {
    admin.remove(kube::kPersistentVolumeClaims, ns, "claim-" + std::to_string(i));
  });
  auto ours_left = [&] {
    std::size_t left = 0;
    for (const auto& pv : admin.list(kube::kPersistentVolumes)["items"])
      if (pv.value("/spec/claimRef/namespace"_json_pointer, "") == ns) ++left;
    return left;
  };
  std::size_t left = n;
  while (Clock::now() < del_start + std::chrono::seconds(settings.limit_seconds) &&
         (left = ours_left()) > 0)
    std::this_thread::sleep_for(200ms);
  const double del_s = seconds(Clock::now() - del_start);
  note("deletion: PVs left", static_cast<double>(left));
  note("deletion: seconds", del_s, 2);
  note("deletion: CPU, s", cpu_seconds(pid) - cpu1, 2);
  std::printf("  deleted: %zu PVs left after %.2f s (%.0f volumes/s), CPU %.2f s\n", left, del_s,
              static_cast<double>(n - left) / del_s, cpu_seconds(pid) - cpu1);
  std::this_thread::sleep_for(1s);
  for (const auto& [requester, counts] : audit_requests(
           env.cluster().audit_log(), audit_delete_from, size_of(env.cluster().audit_log()))) {
    std::string deletes;
    for (const auto& [what, count] : counts)
      if (what.starts_with("delete persistentvolumes") ||
          (requester == who.requester && count >= settings.claims / 4))
        deletes += (deletes.empty() ? "" : ", ") + what + " " + std::to_string(count);
    if (!deletes.empty())
      std::printf("  meanwhile, by %s: %s\n", requester.c_str(), deletes.c_str());
  }
  std::printf("  after all: RSS %.1f MiB, peak %.1f MiB\n", mib(status_kib(pid, "VmRSS")),
              mib(status_kib(pid, "VmHWM")));
  child.signal(SIGTERM);
  child.wait_for(10s);
  // What a stopped provisioner left: its PVs go, so the next round starts clean.
  if (left > 0)
    for (const auto& pv : admin.list(kube::kPersistentVolumes)["items"])
      if (pv.value("/spec/claimRef/namespace"_json_pointer, "") == ns) {
        const std::string name = pv["metadata"]["name"];
        admin.merge_patch(kube::kPersistentVolumes, {}, name,
                          {{"metadata", {{"finalizers", nullptr}}}});
        admin.remove(kube::kPersistentVolumes, {}, name);
      }
  return figures;
}

// The runs side by side, one column each, and when both provisioners ran, the ratio of their
// means (nfs-subdir / ours): a Markdown table.
void print_table(const std::vector<std::pair<std::string, Figures>>& runs) {
  const auto value_of = [](const Figures& figures, const std::string& what) {
    const auto it = std::find_if(figures.begin(), figures.end(),
                                 [&](const Figure& f) { return f.what == what; });
    return it == figures.end() ? std::optional<double>() : it->value;
  };
  const auto mean_of = [&](const std::string& kind, const std::string& what) {
    double sum = 0;
    int count = 0;
    for (const auto& [name, figures] : runs)
      if (name.starts_with(kind + " "))
        if (const auto v = value_of(figures, what)) sum += *v, ++count;
    return count ? std::optional<double>(sum / count) : std::nullopt;
  };
  const bool both = std::any_of(runs.begin(), runs.end(),
                                [](const auto& r) { return r.first.starts_with("nfs-subdir "); });
  std::printf("\n| what |");
  for (const auto& [name, figures] : runs) std::printf(" %s |", name.c_str());
  std::printf(both ? " nfs-subdir / ours |\n|---|" : "\n|---|");
  for (std::size_t i = 0; i < runs.size() + (both ? 1 : 0); ++i) std::printf("---|");
  std::printf("\n");
  const Figures* longest = &runs.front().second;
  for (const auto& run : runs)
    if (run.second.size() > longest->size()) longest = &run.second;
  for (const auto& row : *longest) {
    std::printf("| %s |", row.what.c_str());
    for (const auto& [name, figures] : runs) {
      if (const auto v = value_of(figures, row.what))
        std::printf(" %.*f |", row.decimals, *v);
      else
        std::printf(" |");
    }
    if (both) {
      const auto ours = mean_of("ours", row.what), theirs = mean_of("nfs-subdir", row.what);
      if (ours && theirs && *ours != 0)
        std::printf(" %.2f |", *theirs / *ours);
      else
        std::printf(" |");
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  CLI::App app{"bench_provision: provisioning on the real control plane; figures only"};
  app.add_option("--claims", settings.claims, "claims in each burst")->check(CLI::PositiveNumber);
  app.add_option("--rounds", settings.rounds, "rounds (each provisioner once per round)")
      ->check(CLI::PositiveNumber);
  app.add_option("--binary", settings.binary,
                 "the nfs-provisioner binary (default: this build's; e.g. the image's static one)");
  app.add_option("--nfs-subdir", settings.nfs_subdir,
                 "nfs-subdir-external-provisioner's binary, run beside ours (needs root: "
                 "/persistentvolumes is made a symlink to the export's directory)");
  app.add_option("--kcm-qps", settings.kcm_qps,
                 "kube-controller-manager's --kube-api-qps (burst twice that); its own default "
                 "is 20, which makes binding, not provisioning, the limit");
  app.add_flag("--handed-over", settings.handed_over,
               "create the claims with the storage-provisioner annotations kube-controller-manager "
               "sets (its claim worker is sequential and otherwise paces both provisioners)");
  app.add_option("--idle-seconds", settings.idle_seconds, "idle time measured before a burst");
  app.add_option("--limit-seconds", settings.limit_seconds, "at most this long per phase");
  app.add_option("--env", settings.env, "NAME=VALUE for nfs-provisioner's environment (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("extra", settings.extra, "more nfs-provisioner arguments (after --)");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  const std::string kcm_args = "--kube-api-qps=" + std::to_string(settings.kcm_qps) +
                               " --kube-api-burst=" + std::to_string(2 * settings.kcm_qps);
  ::setenv("CLUSTER_CONTROLLER_MANAGER_ARGS", kcm_args.c_str(), 1);
  // The request counts come from the audit log by offset: it must not rotate (kube-apiserver
  // rotates it at 100 MB unless told otherwise, and a run with its ceiling writes more).
  ::setenv("CLUSTER_APISERVER_ARGS", "--audit-log-maxsize=100000", 1);
  e2e::E2eEnv env;
  std::printf("real control plane up (kube-controller-manager %s); %d claims per burst%s\n",
              kcm_args.c_str(), settings.claims,
              settings.handed_over ? ", made with the hand-over annotations" : "");
  const fs::path subdir_root = "/persistentvolumes";
  if (!settings.nfs_subdir.empty()) {
    // nfs-subdir writes into its mount at /persistentvolumes: the export's own directory here.
    if (fs::is_symlink(subdir_root)) fs::remove(subdir_root);
    if (fs::exists(subdir_root)) {
      std::fprintf(stderr, "%s exists and is not a symlink: not touching it\n",
                   subdir_root.c_str());
      return 2;
    }
    fs::create_directory_symlink(env.export_dir(), subdir_root);
  }

  double ceiling_rate = 0;
  for (int threads : {8, 32, 64})
    ceiling_rate = std::max(ceiling_rate, ceiling(env, settings.claims, threads));
  std::printf("ceiling used for the fractions: %.0f provisions/s\n", ceiling_rate);
  // Deleted PVs go once kube-controller-manager has taken its finalizer off: a provisioner
  // started before would list (and cache) them.
  {
    auto api = unlimited_client(env.cluster().admin_kubeconfig());
    const auto until = Clock::now() + 120s;
    while (Clock::now() < until && !api.list(kube::kPersistentVolumes)["items"].empty())
      std::this_thread::sleep_for(200ms);
  }

  const auto nfs = env.nfs().address();
  const Candidate ours{
      "ours", "system:serviceaccount:nfs-provisioner:nfs-provisioner nfs-provisioner",
      "caches synced",
      [&](const std::string& provisioner) {
        std::vector<std::string> args{settings.binary,
                                      "--kubeconfig=" + env.provisioner_kubeconfig().string(),
                                      "--provisioner-name=" + provisioner,
                                      "--nfs-server=127.0.0.1",
                                      "--nfs-path=" + nfs.export_path,
                                      "--nfs-port=" + std::to_string(nfs.nfs_port),
                                      "--mount-port=" + std::to_string(nfs.mount_port),
                                      "--metrics-address="};
        args.insert(args.end(), settings.extra.begin(), settings.extra.end());
        return args;
      },
      [&](const std::string&) {
        std::vector<std::string> vars{"POD_NAME=bench-ours",
                                      "POD_NAMESPACE=" + std::string(e2e::kInstallNamespace)};
        vars.insert(vars.end(), settings.env.begin(), settings.env.end());
        return vars;
      }};
  const Candidate subdir{
      "nfs-subdir", "kubernetes-admin Go-http-client", "Started provisioner controller",
      [&](const std::string&) { return std::vector<std::string>{settings.nfs_subdir}; },
      [&](const std::string& provisioner) {
        // cluster-admin: its leader election's lock is not where our RBAC puts the Lease.
        return std::vector<std::string>{"NFS_SERVER=127.0.0.1",
                                        "NFS_PATH=" + nfs.export_path,
                                        "PROVISIONER_NAME=" + provisioner,
                                        "KUBECONFIG=" + env.cluster().admin_kubeconfig().string(),
                                        "POD_NAMESPACE=default",
                                        "HOME=/tmp"};
      }};
  std::vector<std::pair<std::string, Figures>> runs;
  for (int round = 1; round <= settings.rounds; ++round) {
    runs.emplace_back("ours " + std::to_string(round),
                      run(env, settings, ours, round, ceiling_rate));
    if (!settings.nfs_subdir.empty())
      runs.emplace_back("nfs-subdir " + std::to_string(round),
                        run(env, settings, subdir, round, ceiling_rate));
  }
  print_table(runs);
  if (!settings.nfs_subdir.empty()) fs::remove(subdir_root);
  return 0;
}
