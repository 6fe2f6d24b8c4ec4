// Replica: one nfs-provisioner process (a "pod" named pod_name) against an E2eEnv's API server
// and export, for the tests of the binary under process-level faults (SIGKILL, SIGSTOP, two
// replicas). Its log goes to a file in a TempDir; when the replica is destroyed, its warnings,
// errors and last lines go to stderr, which ctest shows for a failed test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "test/e2e/e2e_env.h"
#include "test/support/child_process.h"
#include "test/support/temp_dir.h"

namespace nfsprov::e2e {

// Where deploy/ installs the provisioner: its ServiceAccount, and the Lease its Role allows.
inline constexpr const char* kInstallNamespace = "nfs-provisioner";
// Each replica's workers: at most this many PV creates can be in flight when it is killed, and
// the API server may still complete them after we counted the PVs.
inline constexpr std::size_t kReplicaWorkers = 4;
// What the provisioner logs once per volume it provisioned (or found already made by another).
inline constexpr const char* kProvisionedLine = "msg=\"provisioned volume\"";

struct LeaseTiming {
  std::chrono::milliseconds duration;
  std::chrono::milliseconds renew_deadline;
  std::chrono::milliseconds retry_period;
};

class Replica {
 public:
  // lease: leader election with these timings; nullopt: --leader-elect=false.
  // extra: more command-line arguments.
  Replica(E2eEnv& env, const testing::TempDir& dir, const std::string& pod_name,
          std::optional<LeaseTiming> lease, const std::vector<std::string>& extra = {});
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  const std::string& name() const { return name_; }
  testing::ChildProcess& child() { return child_; }
  std::string output() const { return child_.output(); }

 private:
  std::string name_;
  testing::ChildProcess child_;
};

// The holder of the provisioner's Lease in kInstallNamespace ("" = nobody).
std::string lease_holder(E2eEnv& env);

}  // namespace nfsprov::e2e
