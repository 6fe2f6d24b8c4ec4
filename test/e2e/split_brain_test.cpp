// A leader frozen in the middle of a provision (SIGSTOP: what a Raspberry Pi deep in swap or a
// paused VM looks like to its peers) must not hurt anyone when it wakes up. By then the standby
// has taken over, adopted the directory the frozen leader made and bound the claim to it; the
// old leader's in-flight NFS call fails after the wake-up, and whatever it does next (undo the
// mkdir, post a Warning, retry) must not touch that directory or that claim.
//
// The freeze lands the moment the claim's directory appears on the export (inotify on the
// server's backing directory), so it falls between the leader's mkdir and its PV create: inside
// its chmod, or just after. The old leader then wakes up to an NFS server that does not answer
// (frozen for longer than its NFS timeout), so its in-flight call fails instead of completing:
// the moment it used to undo "its" mkdir, sending an rmdir that the server carried out as soon
// as it answered again, under a Bound PV.
#include <catch2/catch.hpp>

#include <signal.h>

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
constexpr int kCycles = 50;
// Short timings, so 50 take-overs fit in a few minutes: a standby takes over about a second
// after the leader froze.
const LeaseTiming kLease{1000ms, 800ms, 200ms};
constexpr auto kNfsTimeout = 1000ms;

}  // namespace

TEST_CASE(
    "a leader frozen mid-provision 50 times: the standby takes over, the old leader wakes up "
    "and touches nothing, no directory is lost and no claim gets a Warning") {
  E2eEnv env;
  TempDir dir;
  env.create_class(kClass, {{"archiveOnDelete", "true"}});
  const std::vector<std::string> extra{"--nfs-timeout=" + std::to_string(kNfsTimeout.count()) +
                                       "ms"};
  Replica a(env, dir, "nfs-provisioner-a", kLease, extra);
  REQUIRE(a.child().wait_for_output("started provisioner controller", 20s));
  Replica b(env, dir, "nfs-provisioner-b", kLease, extra);
  REQUIRE(b.child().wait_for_output("another replica leads", 20s));
  DirectoryWatch watch(env.export_dir());

  int before_pv = 0;  // freezes that caught the leader after its mkdir, before its PV existed
  std::vector<std::string> lost;
  std::vector<std::string> directories;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    std::string holder;
    REQUIRE(wait_until([&] { return !(holder = lease_holder(env)).empty(); }, 20s));
    Replica& leader = holder.starts_with(a.name() + "_") ? a : b;
    const std::string claim_name = "data-" + std::to_string(cycle);
    const json claim = env.create_claim(kNamespace, claim_name, kClass);
    const std::string pv_name = "pvc-" + str_at(claim, "/metadata/uid");
    const std::string directory = std::string(kNamespace) + "-" + claim_name + "-" + pv_name;
    directories.push_back(directory);
    INFO("cycle " << cycle << ", leader " << leader.name() << ", claim " << claim_name);

    REQUIRE(watch.wait_created(directory, 20s));
    leader.child().signal(SIGSTOP);
    if (!env.find_pv(pv_name)) ++before_pv;

    // The standby takes the expired Lease and provisions the claim, adopting the directory.
    REQUIRE(wait_until([&] { return !lease_holder(env).starts_with(leader.name() + "_"); }, 20s));
    env.wait_bound(kNamespace, claim_name, 30s);

    // The old leader wakes up while the server is frozen: its in-flight call times out.
    env.nfs().freeze();
    leader.child().signal(SIGCONT);
    std::this_thread::sleep_for(kNfsTimeout + 500ms);
    env.nfs().thaw();
    // Whatever it sent meanwhile is carried out now.
    std::this_thread::sleep_for(300ms);
    std::erase_if(directories, [&](const std::string& made) {
      if (fs::is_directory(env.export_dir() / made)) return false;
      lost.push_back(made + " (gone in cycle " + std::to_string(cycle) + ")");
      return true;
    });
  }
  std::clog << kCycles << " freezes, " << before_pv
            << " of them between a directory's mkdir and its PV's create\n";

  CHECK(lost == std::vector<std::string>{});
  // The test only proves something when the freezes caught leaders mid-provision.
  CHECK(before_pv >= kCycles / 2);
  // Every claim on its own PV and directory, and no Warning Event about any of them.
  check_exactly_one_each(env, kNamespace, kCycles);
  // Both replicas are still alive: neither crashed when it woke up.
  CHECK_FALSE(a.child().wait_for(0ms).has_value());
  CHECK_FALSE(b.child().wait_for(0ms).has_value());
}
