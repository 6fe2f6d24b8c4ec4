// The nfs-provisioner binary under process-level failure: SIGKILL in the middle of a burst of
// claims and a restart, and two replicas (with leader election: the standby takes over once
// the dead leader's Lease expires; without: both work at once). Whatever happens, a user must
// end up with every claim Bound to exactly the PV pvc-<claim uid>, as many PVs as claims, and
// exactly one directory per claim on the export, named <namespace>-<claim>-pvc-<uid>.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "provisioner/controller/lease_elector.h"
#include "provisioner/kube/resource.h"
#include "test/e2e/e2e_env.h"
#include "test/main/child.h"
#include "test/main/temp_dir.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;
using nfsprov::testing::Child;

namespace {

using nfsprov::testing::TempDir;

constexpr const char* kClass = "managed-nfs-storage";
constexpr const char* kNamespace = "default";
// Where deploy/ installs the provisioner: its ServiceAccount, and the Lease its Role allows.
constexpr const char* kInstallNamespace = "nfs-provisioner";
// Each replica's workers: at most this many PV creates can be in flight when it is killed, and
// the API server may still complete them after we counted the PVs.
constexpr std::size_t kWorkers = 4;

struct LeaseTiming {
  std::chrono::seconds duration;
  std::chrono::seconds renew_deadline;
  std::chrono::seconds retry_period;
};

// One nfs-provisioner process (a "pod" named pod_name) against env's API server and export.
// Its log goes to a file in dir; when the test ends, its warnings, errors and last lines go to
// stderr, which ctest shows for a failed test.
class Replica {
 public:
  Replica(E2eEnv& env, const TempDir& dir, const std::string& pod_name,
          std::optional<LeaseTiming> lease)
      : name_(pod_name),
        child_(arguments(env, lease),
               {"POD_NAME=" + pod_name, std::string("POD_NAMESPACE=") + kInstallNamespace},
               log_path(dir, pod_name)) {}
  ~Replica() {
    child_.signal(SIGKILL);  // if still running; then the log is complete
    child_.wait_for(5s);
    std::clog << "---- " << name_ << " (warnings, errors, last lines) ----\n"
              << summary(child_.output()) << "----\n";
  }
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  Child& child() { return child_; }
  std::string output() const { return child_.output(); }

 private:
  static std::vector<std::string> arguments(E2eEnv& env, std::optional<LeaseTiming> lease) {
    // The client-side rate limit is low on purpose: a burst then takes the provisioner
    // several seconds, so a SIGKILL lands while it works, typically between a directory's
    // mkdir and its PV's create (the create waits for a rate-limiter token).
    std::vector<std::string> argv{NP_PROVISIONER_BIN,
                                  "--kubeconfig=" + env.provisioner_kubeconfig().string(),
                                  "--nfs-server=127.0.0.1",
                                  "--nfs-path=/export",
                                  "--nfs-port=" + std::to_string(env.nfs().nfs_port()),
                                  "--mount-port=" + std::to_string(env.nfs().mount_port()),
                                  std::string("--provisioner-name=") + kProvisioner,
                                  "--metrics-address=",
                                  "--retry-base=100ms",
                                  "--retry-max=2s",
                                  "--kube-api-qps=40",
                                  "--kube-api-burst=10",
                                  "--workers=" + std::to_string(kWorkers)};
    if (lease) {
      argv.push_back("--leader-elect=true");
      argv.push_back("--leader-elect-lease-duration=" + seconds(lease->duration));
      argv.push_back("--leader-elect-renew-deadline=" + seconds(lease->renew_deadline));
      argv.push_back("--leader-elect-retry-period=" + seconds(lease->retry_period));
    } else {
      argv.push_back("--leader-elect=false");
    }
    return argv;
  }
  // Unique per start, so a restarted pod's log is its own.
  static fs::path log_path(const TempDir& dir, const std::string& pod_name) {
    fs::path out = dir.path() / pod_name;
    for (int i = 1; fs::exists(out); ++i) out = dir.path() / (pod_name + "." + std::to_string(i));
    return out;
  }
  static std::string seconds(std::chrono::seconds s) { return std::to_string(s.count()) + "s"; }
  static std::string summary(const std::string& log) {
    std::vector<std::string> lines;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (i + 15 >= lines.size() || lines[i].find(" warning ") != std::string::npos ||
          lines[i].find(" error ") != std::string::npos)
        out += lines[i] + "\n";
    return out;
  }

  std::string name_;
  Child child_;
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// What the provisioner logs once per volume it provisioned (or found already made by another).
constexpr const char* kProvisioned = "msg=\"provisioned volume\"";

void create_claims(E2eEnv& env, int from, int to) {
  for (int i = from; i < to; ++i) env.create_claim(kNamespace, "data-" + std::to_string(i), kClass);
}

std::size_t pv_count(E2eEnv& env) {
  return env.list_pvs().size();
}

std::size_t bound_count(E2eEnv& env) {
  const json list = env.api().list(nfsprov::kube::kPersistentVolumeClaims, kNamespace);
  return static_cast<std::size_t>(
      std::count_if(list.at("items").begin(), list.at("items").end(),
                    [](const json& c) { return str_at(c, "/status/phase") == "Bound"; }));
}

// Everything a user can see, once every claim is Bound: each claim on exactly its own PV, no PV
// beyond the claims', one directory per claim and nothing else on the export, no Warning event.
void check_exactly_one_each(E2eEnv& env, std::size_t claims) {
  std::size_t bound = 0;
  if (!wait_until([&] { return (bound = bound_count(env)) == claims; }, 40s))
    FAIL("only " << bound << " of " << claims << " claims Bound");

  const json list = env.api().list(nfsprov::kube::kPersistentVolumeClaims, kNamespace);
  REQUIRE(list.at("items").size() == claims);
  std::map<std::string, std::string> claim_of_pv;  // pv name -> claim name
  std::vector<std::string> expected_dirs;
  for (const auto& claim : list.at("items")) {
    const std::string name = str_at(claim, "/metadata/name");
    const std::string pv_name = "pvc-" + str_at(claim, "/metadata/uid");
    INFO("claim " << name);
    CHECK(str_at(claim, "/status/phase") == "Bound");
    CHECK(str_at(claim, "/spec/volumeName") == pv_name);
    claim_of_pv[pv_name] = name;
    expected_dirs.push_back(std::string(kNamespace) + "-" + name + "-" + pv_name);
  }

  const auto pvs = env.list_pvs();
  CHECK(pvs.size() == claims);
  std::set<std::string> pv_names;
  for (const auto& pv : pvs) {
    const std::string pv_name = str_at(pv, "/metadata/name");
    INFO("pv " << pv_name);
    pv_names.insert(pv_name);
    const auto claim = claim_of_pv.find(pv_name);
    REQUIRE(claim != claim_of_pv.end());
    CHECK(str_at(pv, "/spec/claimRef/name") == claim->second);
    CHECK(str_at(pv, "/spec/claimRef/uid") == pv_name.substr(4));
    CHECK(str_at(pv, "/spec/nfs/path") ==
          "/export/" + std::string(kNamespace) + "-" + claim->second + "-" + pv_name);
    CHECK(str_at(pv, "/status/phase") == "Bound");
  }
  CHECK(pv_names.size() == claims);

  std::sort(expected_dirs.begin(), expected_dirs.end());
  CHECK(entries(env.export_dir()) == expected_dirs);

  std::vector<std::string> warnings;
  const json events = env.api().list(nfsprov::kube::kEvents, kNamespace);
  // About the claims and volumes: a real cluster has Warnings of its own (the apiserver's
  // Service IP repair loop reports the "kubernetes" Service, say).
  for (const auto& event : events.at("items"))
    if (event.value("type", "") == "Warning" &&
        (str_at(event, "/involvedObject/kind") == "PersistentVolumeClaim" ||
         str_at(event, "/involvedObject/kind") == "PersistentVolume"))
      warnings.push_back(str_at(event, "/involvedObject/name") + ": " + event.value("reason", "") +
                         ": " + event.value("message", ""));
  CHECK(warnings == std::vector<std::string>{});
}

// Waits until at least `at_least` PVs exist (the provisioner is under way) and returns how many.
std::size_t wait_for_pvs(E2eEnv& env, std::size_t at_least) {
  std::size_t n = 0;
  REQUIRE(wait_until([&] { return (n = pv_count(env)) >= at_least; }, 30s));
  return n;
}

// Directories on the export whose PV does not exist (yet): a provisioner between its mkdir and
// its PV's create. Directory names end in the PV name: <namespace>-<claim>-pvc-<uid>.
std::size_t directories_without_pv(E2eEnv& env) {
  std::set<std::string> pvs;
  for (const auto& pv : env.list_pvs()) pvs.insert(str_at(pv, "/metadata/name"));
  std::size_t n = 0;
  for (const auto& name : entries(env.export_dir())) {
    const auto at = name.rfind("-pvc-");
    if (at == std::string::npos || !pvs.contains(name.substr(at + 1))) ++n;
  }
  return n;
}

// SIGKILLs the replica, preferably at a moment when it has made a directory but not yet its
// PV (the worst moment: the next life must adopt that directory, not make a second one). The
// PV list is read before the directories, so a directory seen without a PV was made before
// its PV existed; the kill follows within milliseconds while the PV create waits for a
// rate-limiter token. If that moment is not caught before `latest` PVs exist, it kills then,
// so the kill always lands mid-burst. Returns the time taken just before the signal: any
// duration measured from it is at least as long as the one from the real death.
std::chrono::steady_clock::time_point kill_mid_provision(E2eEnv& env, Replica& replica,
                                                         std::size_t latest) {
  REQUIRE(
      wait_until([&] { return directories_without_pv(env) > 0 || pv_count(env) >= latest; }, 30s));
  const auto now = std::chrono::steady_clock::now();
  replica.child().signal(SIGKILL);
  REQUIRE(replica.child().wait_for(10s) == 128 + SIGKILL);
  return now;
}

}  // namespace

TEST_CASE("SIGKILL mid-burst, then restart: every claim has exactly one PV and one directory") {
  E2eEnv env;
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  REQUIRE(entries(env.export_dir()).empty());
  constexpr int kClaims = 80;

  Replica first(env, dir, "nfs-provisioner-0", std::nullopt);
  REQUIRE(first.child().wait_for_output("caches synced, starting workers", 20s));
  create_claims(env, 0, kClaims / 2);
  wait_for_pvs(env, 8);
  kill_mid_provision(env, first, kClaims / 4);
  const std::size_t pvs_at_kill = pv_count(env);
  const std::size_t orphans_at_kill = directories_without_pv(env);
  // The kill must really have been mid-burst, or the restart has nothing to finish.
  REQUIRE(pvs_at_kill < static_cast<std::size_t>(kClaims / 2));
  // Directories made whose PV never came: the restart must adopt them, not make a second.
  std::clog << "killed with " << pvs_at_kill << " PVs for " << kClaims / 2 << " claims and "
            << orphans_at_kill << " directories without a PV\n";

  // More claims arrive while no provisioner runs.
  create_claims(env, kClaims / 2, kClaims);
  Replica second(env, dir, "nfs-provisioner-0", std::nullopt);
  check_exactly_one_each(env, kClaims);
  // The second life did the rest: every claim without a PV at the kill went through it (but
  // for the creates the first life had in flight).
  CHECK(count_of(second.output(), kProvisioned) + pvs_at_kill + kWorkers >= kClaims);
}

TEST_CASE(
    // No ';' in a name: catch_discover_tests would split it into several (empty) tests.
    "two replicas with leader election: only the leader works, after SIGKILL the standby "
    "takes over once the Lease expires, exactly one PV and directory per claim") {
  E2eEnv env;
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  REQUIRE(entries(env.export_dir()).empty());
  constexpr int kClaims = 60;
  const LeaseTiming lease{6s, 4s, 1s};

  // The first replica takes the free Lease; the second starts after it and must wait.
  Replica leader(env, dir, "nfs-provisioner-a", lease);
  REQUIRE(leader.child().wait_for_output("started provisioner controller", 20s));
  Replica standby(env, dir, "nfs-provisioner-b", lease);
  REQUIRE(standby.child().wait_for_output("another replica leads", 20s));

  const std::string lease_name = nfsprov::controller::lease_name_for(kProvisioner);
  const auto holder = [&] {
    return str_at(env.api().get(nfsprov::kube::kLeases, kInstallNamespace, lease_name),
                  "/spec/holderIdentity");
  };
  CHECK_THAT(holder(), Catch::StartsWith("nfs-provisioner-a_"));

  create_claims(env, 0, kClaims);
  wait_for_pvs(env, 8);
  // Until now the standby has only watched the Lease.
  CHECK(standby.output().find("started provisioner controller") == std::string::npos);
  CHECK(count_of(standby.output(), kProvisioned) == 0);

  const auto killed_at = kill_mid_provision(env, leader, kClaims / 2);
  const std::size_t pvs_at_kill = pv_count(env);
  REQUIRE(pvs_at_kill < static_cast<std::size_t>(kClaims));
  std::clog << "leader killed with " << pvs_at_kill << " PVs for " << kClaims << " claims and "
            << directories_without_pv(env) << " directories without a PV\n";

  REQUIRE(standby.child().wait_for_output("started provisioner controller", 30s));
  const auto took = std::chrono::steady_clock::now() - killed_at;
  std::clog << "standby took over after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  // The dead leader's last renewal was at most its renew deadline before the kill, and the
  // Lease only counts as expired a full duration after the standby saw that renewal: taking
  // over sooner would mean two leaders. (A lower bound: a slow machine only makes it longer.)
  CHECK(took >= lease.duration - lease.renew_deadline);
  CHECK_THAT(holder(), Catch::StartsWith("nfs-provisioner-b_"));

  check_exactly_one_each(env, kClaims);
  // The standby did the rest (but for the creates the leader had in flight).
  CHECK(count_of(standby.output(), kProvisioned) + pvs_at_kill + kWorkers >= kClaims);
}

TEST_CASE(
    "two replicas without leader election work at once: still exactly one PV and one "
    "directory per claim, and no Warning event") {
  E2eEnv env;
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  REQUIRE(entries(env.export_dir()).empty());
  constexpr int kClaims = 80;

  Replica a(env, dir, "nfs-provisioner-a", std::nullopt);
  Replica b(env, dir, "nfs-provisioner-b", std::nullopt);
  // Both watch every claim before the first exists, so both race for each one.
  REQUIRE(a.child().wait_for_output("caches synced, starting workers", 20s));
  REQUIRE(b.child().wait_for_output("caches synced, starting workers", 20s));

  create_claims(env, 0, kClaims);
  check_exactly_one_each(env, kClaims);
  const std::size_t by_a = count_of(a.output(), kProvisioned);
  const std::size_t by_b = count_of(b.output(), kProvisioned);
  std::clog << "provisioned (or found made by the other): a " << by_a << ", b " << by_b << "\n";
  CHECK(by_a + by_b >= static_cast<std::size_t>(kClaims));
  // Neither replica crashed or gave up along the way.
  CHECK_FALSE(a.child().wait_for(0ms).has_value());
  CHECK_FALSE(b.child().wait_for(0ms).has_value());
}

TEST_CASE("SIGTERM with the NFS server frozen: the binary exits 0 within 5 s") {
  E2eEnv env;
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  Replica replica(env, dir, "nfs-provisioner-0", LeaseTiming{15s, 10s, 2s});
  REQUIRE(replica.child().wait_for_output("started provisioner controller", 20s));
  // Every worker holds a mounted export client once a few claims went through.
  constexpr int kClaims = 8;
  create_claims(env, 0, kClaims);
  REQUIRE(wait_until([&] { return bound_count(env) == kClaims; }, 60s));

  env.nfs().freeze();
  const auto signalled = std::chrono::steady_clock::now();
  replica.child().signal(SIGTERM);
  const auto status = replica.child().wait_for(20s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  env.nfs().thaw();
  std::clog << "exit after SIGTERM with a frozen NFS server took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(took < 5s);
  // The Lease was released on the way out, as on any SIGTERM.
  const std::string lease_name = nfsprov::controller::lease_name_for(kProvisioner);
  CHECK(str_at(env.api().get(nfsprov::kube::kLeases, kInstallNamespace, lease_name),
               "/spec/holderIdentity") == "");
}

namespace {

// The replica led from its start until now without a break, and still runs.
void check_led_throughout(Replica& leader) {
  const std::string out = leader.output();
  CHECK(out.find("leadership lost") == std::string::npos);
  CHECK(count_of(out, "became leader") == 1);
  CHECK_FALSE(leader.child().wait_for(0ms).has_value());
}

}  // namespace

TEST_CASE("a leader rides out 6 s of 503s and 429s from the API without losing its Lease") {
  E2eEnv env;
  auto& proxy = env.enable_fault_proxy();
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  // client-go's timings: lease 15 s, renew deadline 10 s, retry every 2 s.
  Replica leader(env, dir, "nfs-provisioner-a", LeaseTiming{15s, 10s, 2s});
  REQUIRE(leader.child().wait_for_output("started provisioner controller", 20s));
  create_claims(env, 0, 4);
  REQUIRE(wait_until([&] { return bound_count(env) == 4; }, 60s));

  // A slow control plane (an SD-card etcd on a Pi): every request is refused for 6 s.
  proxy.inject({{"status", 503}, {"count", 100000}});
  std::this_thread::sleep_for(3s);
  proxy.inject({{"status", 429}, {"count", 100000}, {"retry_after", 1}});
  std::this_thread::sleep_for(3s);
  proxy.inject({{"clear", true}});

  create_claims(env, 4, 8);
  REQUIRE(wait_until([&] { return bound_count(env) == 8; }, 60s));
  check_led_throughout(leader);
}

TEST_CASE("a leader keeps its Lease on a control plane that answers in 3 s") {
  E2eEnv env;
  auto& proxy = env.enable_fault_proxy();
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  Replica leader(env, dir, "nfs-provisioner-a", LeaseTiming{15s, 10s, 2s});
  REQUIRE(leader.child().wait_for_output("started provisioner controller", 20s));

  // Slow, not down: every request takes 3 s, for longer than the renew deadline.
  proxy.inject({{"latency_ms", 3000}});
  std::this_thread::sleep_for(14s);
  proxy.inject({{"clear", true}});

  create_claims(env, 0, 4);
  REQUIRE(wait_until([&] { return bound_count(env) == 4; }, 60s));
  check_led_throughout(leader);
}
