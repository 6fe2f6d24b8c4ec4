#include "test/e2e/replica.h"

#include <signal.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "provisioner/controller/lease_elector.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::e2e {

namespace fs = std::filesystem;

namespace {

std::string millis(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + "ms";
}

std::vector<std::string> arguments(E2eEnv& env, std::optional<LeaseTiming> lease,
                                   const std::vector<std::string>& extra) {
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
                                "--workers=" + std::to_string(kReplicaWorkers)};
  if (lease) {
    argv.push_back("--leader-elect=true");
    argv.push_back("--leader-elect-lease-duration=" + millis(lease->duration));
    argv.push_back("--leader-elect-renew-deadline=" + millis(lease->renew_deadline));
    argv.push_back("--leader-elect-retry-period=" + millis(lease->retry_period));
  } else {
    argv.push_back("--leader-elect=false");
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// Unique per start, so a restarted pod's log is its own.
fs::path log_path(const testing::TempDir& dir, const std::string& pod_name) {
  fs::path out = dir.path() / pod_name;
  for (int i = 1; fs::exists(out); ++i) out = dir.path() / (pod_name + "." + std::to_string(i));
  return out;
}

std::string summary(const std::string& log) {
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

}  // namespace

Replica::Replica(E2eEnv& env, const testing::TempDir& dir, const std::string& pod_name,
                 std::optional<LeaseTiming> lease, const std::vector<std::string>& extra)
    : name_(pod_name),
      child_(arguments(env, lease, extra),
             {"POD_NAME=" + pod_name, std::string("POD_NAMESPACE=") + kInstallNamespace},
             log_path(dir, pod_name)) {}

Replica::~Replica() {
  child_.signal(SIGCONT);  // a frozen replica cannot be reaped
  child_.signal(SIGKILL);  // if still running; then the log is complete
  child_.wait_for(std::chrono::seconds(5));
  std::clog << "---- " << name_ << " (warnings, errors, last lines) ----\n"
            << summary(child_.output()) << "----\n";
}

std::string lease_holder(E2eEnv& env) {
  const std::string name = controller::lease_name_for(kProvisioner);
  return str_at(env.api().get(kube::kLeases, kInstallNamespace, name), "/spec/holderIdentity");
}

}  // namespace nfsprov::e2e
