// The provisioner's settings: nfs-subdir-external-provisioner's environment variables
// (NFS_SERVER, NFS_PATH, PROVISIONER_NAME, ENABLE_LEADER_ELECTION, POD_NAME, POD_NAMESPACE)
// plus command-line flags, a flag winning over its variable. KUBECONFIG is read by
// kube::resolve_kube_config, which merges the files it lists. Pure: argv and the environment
// come in as values, so tests need no real process environment.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "nfs/values/export_address.h"
#include "provisioner/base/defaults.h"

namespace nfsprov::config {

// Invalid or missing configuration. what() is one line saying what is wrong; the program
// prints it prefixed with its name and exits with status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Environment = std::map<std::string, std::string>;

enum class Command {
  run,                 // provision volumes
  check,               // test the export(s) and exit
  release_finalizers,  // take our finalizer off our PVs (rollback, uninstall) and exit
  audit,               // report what is on the export(s), clean up only when asked, and exit
  help,                // print help_text and exit 0
  version,             // print the version and exit 0
};

struct LeaderElectionSettings {
  bool enabled = true;
  std::string lease_namespace;  // "" = POD_NAMESPACE, else the kubeconfig's namespace
  std::chrono::milliseconds lease_duration = base::defaults::kLeaseDuration;
  std::chrono::milliseconds renew_deadline = base::defaults::kRenewDeadline;
  std::chrono::milliseconds retry_period = base::defaults::kRetryPeriod;
};

// `release-finalizers`: which of our PVs lose our finalizer.
struct ReleaseSettings {
  bool all = false;      // every PV of ours, not only those being deleted (an uninstall)
  bool dry_run = false;  // print what would be released, change nothing
};

// `audit`: how to show the report and what to clean up (nothing unless asked, and then only
// with confirm).
struct AuditSettings {
  bool json = false;  // --output json
  bool archive_orphans = false;
  std::optional<std::chrono::seconds> delete_expired;
  bool confirm = false;  // --yes
};

struct Settings {
  Command command = Command::run;
  std::string help_text;  // for Command::help

  std::optional<std::string> kubeconfig;  // --kubeconfig only: one file, winning over $KUBECONFIG
  std::string provisioner_name;
  // The default export. For `check` with check_classes, server and path may be empty.
  nfs::ExportAddress nfs;
  // `check` (or `audit`) without --nfs-server: check the export of every StorageClass of ours
  // (NFS_SERVER and NFS_PATH, when set, are the defaults those classes fall back to).
  bool check_classes = false;
  ReleaseSettings release;  // for Command::release_finalizers
  AuditSettings audit;      // for Command::audit (check_classes says which exports, as for check)
  int workers = base::defaults::kWorkers;
  LeaderElectionSettings leader_election;
  double kube_api_qps = base::defaults::kApiQps;
  int kube_api_burst = base::defaults::kApiBurst;
  std::string metrics_address = ":8080";  // "" = no metrics/health server
  // Unset: the controller's own defaults.
  std::optional<std::chrono::milliseconds> resync_period;
  std::optional<std::chrono::milliseconds> retry_base;
  std::optional<std::chrono::milliseconds> retry_max;
  std::optional<std::chrono::milliseconds> stall_timeout;  // liveness (ControllerOptions)
  // Volume usage walks: every usage_interval (0: never), at most usage_ops_per_second NFS
  // calls per second (0: no cap).
  std::chrono::milliseconds usage_interval{std::chrono::hours(1)};
  double usage_ops_per_second = 100;
  int verbosity = 0;  // how many -v: 0 info, 1 or more debug
  std::string pod_name;
  std::string pod_namespace;
};

// args: the command line without the program name. Throws UsageError.
Settings parse_settings(const std::vector<std::string>& args, const Environment& env);

// The environment of this process, for main.
Environment process_environment(char** envp);

}  // namespace nfsprov::config
