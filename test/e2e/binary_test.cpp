// The nfs-provisioner binary under process-level failure: SIGKILL in the middle of a burst of
// claims and a restart, and two replicas (with leader election: the standby takes over once
// the dead leader's Lease expires; without: both work at once). Whatever happens, a user must
// end up with every claim Bound to exactly the PV pvc-<claim uid>, as many PVs as claims, and
// exactly one directory per claim on the export, named <namespace>-<claim>-pvc-<uid>.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "provisioner/kube/resource.h"
#include "test/e2e/claim_checks.h"
#include "test/e2e/directory_watch.h"
#include "test/e2e/replica.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;

namespace {

using nfsprov::testing::TempDir;

constexpr const char* kClass = "managed-nfs-storage";
constexpr const char* kNamespace = "default";
constexpr std::size_t kWorkers = kReplicaWorkers;
constexpr const char* kProvisioned = kProvisionedLine;

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void create_claims(E2eEnv& env, int from, int to) {
  for (int i = from; i < to; ++i) env.create_claim(kNamespace, "data-" + std::to_string(i), kClass);
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

// SIGTERMs the replica and waits for its exit (at most 90 s); unblock runs right after (it
// thaws the server, answers held requests). The exit must be 0 and within 5 s, with the
// Lease released; how long it took is printed, situation saying when.
void check_prompt_exit(E2eEnv& env, Replica& replica, const std::string& situation,
                       const std::function<void()>& unblock) {
  const auto signalled = std::chrono::steady_clock::now();
  replica.child().signal(SIGTERM);
  const auto status = replica.child().wait_for(90s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  unblock();
  std::clog << "exit after SIGTERM " << situation << " took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(took < 5s);
  // The Lease was released on the way out, as on any SIGTERM.
  CHECK(lease_holder(env) == "");
}

}  // namespace

TEST_CASE("SIGKILL mid-burst, then restart: every claim has exactly one PV and one directory") {
  E2eEnv env;
  // PV creates are held at the proxy (neither answered nor forwarded) from a moment in the
  // burst on, so the kill always lands between a directory's mkdir and its PV's create (a
  // kill timed by polling could miss that moment, and the test then passed without testing
  // the restart's adoption of such directories); the held creates never reach the API server.
  auto& proxy = env.enable_fault_proxy();
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  REQUIRE(entries(env.export_dir()).empty());
  constexpr int kClaims = 80;

  Replica first(env, dir, "nfs-provisioner-0", std::nullopt);
  REQUIRE(first.child().wait_for_output("caches synced, starting workers", 20s));
  create_claims(env, 0, kClaims / 2);
  wait_for_pvs(env, 8);
  proxy.inject({{"hold", "POST /api/v1/persistentvolumes"}});
  // A PV create held (its directory made, its PV never to land), not only directories whose
  // creates passed before the hold and land a moment later (under load, all of them could).
  REQUIRE(wait_until([&] { return proxy.held() >= 2 && directories_without_pv(env) >= 2; }, 30s));
  first.child().signal(SIGKILL);
  REQUIRE(first.child().wait_for(10s) == 128 + SIGKILL);
  proxy.inject({{"clear", true}});  // the held creates are answered 503, to nobody
  const std::size_t pvs_at_kill = pv_count(env);
  const std::size_t orphans_at_kill = directories_without_pv(env);
  std::clog << "killed with " << pvs_at_kill << " PVs for " << kClaims / 2 << " claims and "
            << orphans_at_kill << " directories without a PV\n";
  // The kill must really have been mid-burst, or the restart has nothing to finish.
  REQUIRE(pvs_at_kill < static_cast<std::size_t>(kClaims / 2));
  // Directories made whose PV never came: the restart must adopt them, not make a second
  // (check_exactly_one_each counts the directories).
  REQUIRE(orphans_at_kill > 0);

  // More claims arrive while no provisioner runs.
  create_claims(env, kClaims / 2, kClaims);
  Replica second(env, dir, "nfs-provisioner-0", std::nullopt);
  check_exactly_one_each(env, kNamespace, kClaims);
  // The second life did the rest: every claim without a PV at the kill went through it (but
  // for the creates the first life had in flight).
  CHECK(count_of(second.output(), kProvisioned) + pvs_at_kill + kWorkers >= kClaims);
}

TEST_CASE(
    "SIGKILL between mkdir and PV create, the claims deleted before the restart: no directory "
    "is left without its claim") {
  E2eEnv env;
  // PV creates are refused at the proxy from some moment on: the directories made after it
  // stay without a PV, and no create the killed process had sent can land later (a kill timed
  // by the clock left the count of orphans to chance on a loaded machine).
  auto& proxy = env.enable_fault_proxy();
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  constexpr int kBefore = 6;  // claims provisioned before the refusals
  constexpr int kClaims = 20;
  Replica first(env, dir, "nfs-provisioner-0", std::nullopt);
  REQUIRE(first.child().wait_for_output("caches synced, starting workers", 20s));
  create_claims(env, 0, kBefore);
  REQUIRE(wait_until([&] { return bound_count(env, kNamespace) == kBefore; }, 30s));
  proxy.inject({{"refuse", "POST /api/v1/persistentvolumes"}});
  // Their PV creates fail, and they are told so: in a namespace of their own, whose claims
  // are deleted while nothing runs, so the directories made for them have nobody to claim them.
  const std::string doomed = "doomed";
  for (int i = kBefore; i < kClaims; ++i)
    env.create_claim(doomed, "data-" + std::to_string(i), kClass);
  REQUIRE(wait_until([&] { return directories_without_pv(env) >= 5; }, 30s));
  first.child().signal(SIGKILL);
  REQUIRE(first.child().wait_for(10s) == 128 + SIGKILL);
  proxy.inject({{"clear", true}});
  const std::size_t orphans_at_kill = directories_without_pv(env);
  REQUIRE(pv_count(env) == kBefore);
  std::clog << "killed with " << orphans_at_kill << " directories without a PV\n";
  for (int i = kBefore; i < kClaims; ++i) env.delete_claim(doomed, "data-" + std::to_string(i));
  REQUIRE(wait_until(
      [&] {
        return env.api().list(nfsprov::kube::kPersistentVolumeClaims, doomed).at("items").empty();
      },
      20s));

  Replica second(env, dir, "nfs-provisioner-0", std::nullopt);
  // The restart removes them: exactly one directory per remaining claim, no record left.
  REQUIRE(wait_until([&] { return directories_without_pv(env) == 0; }, 30s));
  check_exactly_one_each(env, kNamespace, kBefore);
  // The log line follows the removal it reports.
  std::size_t cleaned = 0;
  CHECK(wait_until(
      [&] {
        return (cleaned = count_of(second.output(), "cleaned up orphaned directory")) >=
               orphans_at_kill;
      },
      10s));
  CHECK(cleaned == orphans_at_kill);
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

  const auto holder = [&] { return lease_holder(env); };
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

  check_exactly_one_each(env, kNamespace, kClaims);
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
  check_exactly_one_each(env, kNamespace, kClaims);
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
  REQUIRE(wait_until([&] { return bound_count(env, kNamespace) == kClaims; }, 60s));

  env.nfs().freeze();
  check_prompt_exit(env, replica, "with a frozen NFS server", [&] { env.nfs().thaw(); });
}

TEST_CASE(
    "SIGTERM while a worker waits on a frozen NFS server with a 60 s timeout: the binary exits 0 "
    "within 5 s") {
  // The calls in flight are cancelled (ExportPool's stop callback), not waited out: a pod's
  // grace period (30 s) is shorter than a patient --nfs-timeout.
  E2eEnv env;
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  Replica replica(env, dir, "nfs-provisioner-0", LeaseTiming{15s, 10s, 2s}, {"--nfs-timeout=60s"});
  REQUIRE(replica.child().wait_for_output("started provisioner controller", 20s));
  // The workers' clients are mounted before the freeze: the new claims' calls go out on them.
  create_claims(env, 0, 1);
  REQUIRE(wait_until([&] { return bound_count(env, kNamespace) == 1; }, 60s));

  env.nfs().freeze();
  create_claims(env, 1, 2);
  // The claim's "Provisioning" Event is recorded right before its NFS calls: a worker is now
  // waiting for an answer that will not come for 60 s.
  REQUIRE(wait_until([&] { return env.has_event(kNamespace, "data-1", "Provisioning"); }, 30s));
  check_prompt_exit(env, replica, "with a worker stuck on a frozen NFS server",
                    [&] { env.nfs().thaw(); });
  // A shutdown is no failure: no Warning about the claims it left to the next leader.
  CHECK(replica.output().find("provisioning failed") == std::string::npos);
}

TEST_CASE(
    "SIGTERM while a worker's PV create hangs at the API server: the binary exits 0 within 5 s") {
  // The request under way is cancelled (ClientOptions::stop), not waited out for the client's
  // 30 s request timeout. The held create never reaches the API server.
  E2eEnv env;
  auto& proxy = env.enable_fault_proxy();
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  Replica replica(env, dir, "nfs-provisioner-0", LeaseTiming{15s, 10s, 2s});
  REQUIRE(replica.child().wait_for_output("started provisioner controller", 20s));
  proxy.inject({{"hold", "POST /api/v1/persistentvolumes"}});
  create_claims(env, 0, 1);
  // The directory is made, and its PV's create goes out right after it: now held.
  REQUIRE(wait_until([&] { return proxy.held() == 1 && directories_without_pv(env) == 1; }, 30s));
  // The held create is then answered 503, to nobody.
  check_prompt_exit(env, replica, "with a PV create held at the API server", [&] {
    proxy.inject({{"clear", true}});
  });
  CHECK(replica.output().find("provisioning failed") == std::string::npos);
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
  REQUIRE(wait_until([&] { return bound_count(env, kNamespace) == 4; }, 60s));

  // A slow control plane (an SD-card etcd on a Pi): every request is refused for 6 s.
  proxy.inject({{"status", 503}, {"count", 100000}});
  std::this_thread::sleep_for(3s);
  proxy.inject({{"status", 429}, {"count", 100000}, {"retry_after", 1}});
  std::this_thread::sleep_for(3s);
  proxy.inject({{"clear", true}});

  create_claims(env, 4, 8);
  REQUIRE(wait_until([&] { return bound_count(env, kNamespace) == 8; }, 60s));
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
  REQUIRE(wait_until([&] { return bound_count(env, kNamespace) == 4; }, 60s));
  check_led_throughout(leader);
}
