#include "provisioner/config/settings.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string_view>

#include "provisioner/base/host_port.h"
#include "provisioner/base/text.h"
#include "provisioner/config/duration.h"
#include "provisioner/core/archive_retention.h"

namespace nfsprov::config {

namespace {

std::string env_or(const Environment& env, const std::string& name,
                   const std::string& fallback = {}) {
  auto it = env.find(name);
  return it == env.end() ? fallback : it->second;
}

std::chrono::milliseconds duration_flag(const std::string& flag, const std::string& text) {
  try {
    return parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(flag + ": " + e.what());
  }
}

std::chrono::milliseconds positive_duration_flag(const std::string& flag, const std::string& text) {
  auto d = duration_flag(flag, text);
  if (d.count() <= 0) throw UsageError(flag + " must be longer than 0 (got " + text + ")");
  return d;
}

void check_address(const std::string& address) {
  // The health server parses it again with the same function: what passes here binds there.
  try {
    base::parse_host_port(address);
  } catch (const std::invalid_argument& e) {
    throw UsageError("--metrics-address \"" + address + "\": " + e.what());
  }
}

std::optional<std::uint32_t> id_flag(const std::string& flag, long long value, bool given) {
  if (!given) return std::nullopt;
  if (value < 0 || value > 0xFFFFFFFFLL)
    throw UsageError(flag + " must be between 0 and 4294967295");
  return static_cast<std::uint32_t>(value);
}

}  // namespace

Environment process_environment(char** envp) {
  Environment env;
  for (char** p = envp; p && *p; ++p) {
    const char* eq = std::strchr(*p, '=');
    if (eq) env.emplace(std::string(static_cast<const char*>(*p), eq), std::string(eq + 1));
  }
  return env;
}

Settings parse_settings(const std::vector<std::string>& args, const Environment& env) {
  Settings s;
  CLI::App app{
      "Dynamic NFS provisioner for Kubernetes: creates a directory on an NFS export for each "
      "claim, speaking NFS in user space (no mount, no privileged pod).",
      "nfs-provisioner"};
  app.set_help_flag("-h,--help", "Print this help and exit");

  // The flags' defaults are the Settings' own, spelt as the flags take them.
  const auto said = [](const std::string& value) { return " (default " + value + ")"; };
  const auto number = [](double value) {
    std::ostringstream text;
    text << value;
    return text.str();
  };
  std::string kubeconfig, name, server, path, nfs_timeout = format_duration(s.nfs.timeout);
  std::string lease_duration = format_duration(s.leader_election.lease_duration),
              renew_deadline = format_duration(s.leader_election.renew_deadline),
              retry_period = format_duration(s.leader_election.retry_period);
  std::string resync, retry_base, retry_max, stall_timeout, usage_interval;
  long long uid = -1, gid = -1;
  bool leader_elect = true, version = false;

  app.add_option("--kubeconfig", kubeconfig,
                 "Kubeconfig file (else $KUBECONFIG, in-cluster, ~/.kube/config)");
  auto* name_opt = app.add_option("--provisioner-name", name,
                                  "Name StorageClasses use in their provisioner field "
                                  "(else $PROVISIONER_NAME)");
  auto* server_opt =
      app.add_option("--nfs-server", server, "NFS server host or IP (else $NFS_SERVER)");
  auto* path_opt =
      app.add_option("--nfs-path", path, "Exported path on the server (else $NFS_PATH)");
  app.add_option("--nfs-port", s.nfs.nfs_port, "NFS port (0: ask the portmapper)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--mount-port", s.nfs.mount_port,
                 "MOUNT protocol port, for servers without a portmapper (0: ask the portmapper)")
      ->check(CLI::Range(0, 65535));
  auto* uid_opt = app.add_option("--nfs-uid", uid, "AUTH_SYS uid presented to the server");
  auto* gid_opt = app.add_option("--nfs-gid", gid, "AUTH_SYS gid presented to the server");
  app.add_option("--nfs-timeout", nfs_timeout, "Deadline of every NFS call" + said(nfs_timeout));
  app.add_option(
         "--workers", s.workers,
         "Claims handled at once, at most (one worker idles; more start with the backlog and "
         "end after a minute idle)" +
             said(std::to_string(s.workers)))
      ->check(CLI::Range(1, 256));
  auto* elect_opt = app.add_flag("--leader-elect{true}", leader_elect,
                                 "Run only while holding the Lease (default true; "
                                 "else $ENABLE_LEADER_ELECTION); --leader-elect=false to turn off");
  app.add_option("--leader-elect-namespace", s.leader_election.lease_namespace,
                 "Namespace of the Lease (default $POD_NAMESPACE, else the kubeconfig's)");
  app.add_option("--leader-elect-lease-duration", lease_duration,
                 "Lease duration" + said(lease_duration));
  app.add_option("--leader-elect-renew-deadline", renew_deadline,
                 "Give up leading when not renewed for this long" + said(renew_deadline));
  app.add_option("--leader-elect-retry-period", retry_period,
                 "Interval between Lease attempts" + said(retry_period));
  app.add_option("--kube-api-qps", s.kube_api_qps,
                 "Client-side API rate limit" + said(number(s.kube_api_qps)))
      ->check(CLI::PositiveNumber);
  app.add_option("--kube-api-burst", s.kube_api_burst,
                 "Client-side API burst" + said(std::to_string(s.kube_api_burst)))
      ->check(CLI::PositiveNumber);
  app.add_option("--metrics-address", s.metrics_address,
                 "Listen address of /metrics, /healthz, /readyz (default " + s.metrics_address +
                     "; empty: off)");
  app.add_option("--resync-period", resync, "Full re-examination of claims and volumes");
  app.add_option("--retry-base", retry_base, "First back-off after a failed claim");
  app.add_option("--retry-max", retry_max, "Longest back-off after failed claims");
  app.add_option("--stall-timeout", stall_timeout,
                 "/healthz fails when one claim or volume step takes longer (a wedged worker; "
                 "default 10m)");
  app.add_option("--usage-interval", usage_interval,
                 "Measure every Bound volume's bytes and inodes this often (default 1h; 0: never)");
  app.add_option("--usage-ops-per-second", s.usage_ops_per_second,
                 "Most NFS calls per second a usage walk makes (default 100; 0: no cap)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("-v", s.verbosity, "More logging: -v debug (repeating it changes nothing)");
  app.add_flag("--version", version, "Print the version and exit");

  auto* check = app.add_subcommand(
      "check",
      "Check the export (--nfs-server/--nfs-path) or, without them, the export of every "
      "StorageClass of ours; exit 0 only if all pass");
  check->fallthrough();
  auto* release = app.add_subcommand(
      "release-finalizers",
      "Remove our finalizer from our PVs being deleted (stuck Terminating after a switch back "
      "to nfs-subdir or an uninstall); takes --kubeconfig and --provisioner-name; API only, "
      "never NFS; exit 0 when all were released, 1 when one was not");
  release->add_flag("--all", s.release.all,
                    "Every PV of ours, also those not being deleted (before an uninstall)");
  release->add_flag("--dry-run", s.release.dry_run, "Print what would be released, change nothing");
  // --kubeconfig and --provisioner-name are the main command's, after the subcommand too.
  release->fallthrough();
  std::string output = "table", delete_expired;
  auto* audit = app.add_subcommand(
      "audit",
      "List what is on the export (--nfs-server/--nfs-path) or on the export of every "
      "StorageClass of ours: volumes with their PV, claim and phase, orphans, missing "
      "directories, archives with age and size; changes nothing unless asked and confirmed");
  audit->add_option("--output,-o", output, "table (default) or json");
  audit->add_flag("--archive-orphans", s.audit.archive_orphans,
                  "Rename each orphan of ours to archived-<name> (with --yes)");
  audit->add_option("--delete-expired", delete_expired,
                    "Delete archives of ours older than this age, e.g. 30d, 12h (with --yes)");
  audit->add_flag("--yes", s.audit.confirm,
                  "Carry out --archive-orphans/--delete-expired; without it they are only printed");
  audit->fallthrough();
  // One command per run: "check release-finalizers" is a mistake, not two jobs.
  app.require_subcommand(0, 1);

  // CLI11 consumes its arguments from the back. "--flag=" (Go flag style for an empty
  // value, e.g. --metrics-address= to turn metrics off) is not accepted by CLI11: split it.
  std::vector<std::string> reversed;
  for (auto it = args.rbegin(); it != args.rend(); ++it) {
    if (it->size() > 3 && it->starts_with("--") && it->back() == '=') {
      reversed.emplace_back();
      reversed.push_back(it->substr(0, it->size() - 1));
    } else {
      reversed.push_back(*it);
    }
  }
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    s.command = Command::help;
    s.help_text = app.help();
    return s;
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  if (version) {
    s.command = Command::version;
    return s;
  }
  if (check->parsed()) s.command = Command::check;
  if (release->parsed()) s.command = Command::release_finalizers;
  if (audit->parsed()) {
    s.command = Command::audit;
    if (output != "table" && output != "json")
      throw UsageError("audit --output \"" + output + "\" is not table or json");
    s.audit.json = output == "json";
    if (!delete_expired.empty()) {
      s.audit.delete_expired = core::parse_age(delete_expired);
      if (!s.audit.delete_expired)
        throw UsageError("audit --delete-expired \"" + delete_expired +
                         "\" is not an age such as 30d, 12h or 1d12h");
    }
  }

  // Only the flag: $KUBECONFIG may list several files, and kube::resolve_kube_config reads it
  // itself to merge them. Passed here it would be taken for one file named "a:b".
  if (!kubeconfig.empty()) s.kubeconfig = kubeconfig;

  s.nfs.server = server_opt->count() ? server : env_or(env, "NFS_SERVER");
  s.nfs.export_path = path_opt->count() ? path : env_or(env, "NFS_PATH");
  s.provisioner_name = name_opt->count() ? name : env_or(env, "PROVISIONER_NAME");

  if (s.command == Command::release_finalizers) {
    if (s.provisioner_name.empty())
      throw UsageError(
          "release-finalizers needs PROVISIONER_NAME (or --provisioner-name): the PVs it "
          "releases are those provisioned by that name");
    if (s.provisioner_name.find_first_of(" \t\n") != std::string::npos)
      throw UsageError("PROVISIONER_NAME \"" + s.provisioner_name + "\" must not contain spaces");
    // It talks only to the API: the NFS and leader-election settings are none of its
    // business, and a stray value there must not stop a rollback.
    return s;
  }

  if (s.command == Command::run) {
    // The same order and wording as nfs-subdir-external-provisioner's fatal checks.
    if (s.nfs.server.empty()) throw UsageError("NFS_SERVER is not set (or pass --nfs-server)");
    if (s.nfs.export_path.empty()) throw UsageError("NFS_PATH is not set (or pass --nfs-path)");
    if (s.provisioner_name.empty())
      throw UsageError("PROVISIONER_NAME is not set (or pass --provisioner-name)");
  } else {
    const std::string command = s.command == Command::audit ? "audit" : "check";
    s.check_classes = server_opt->count() == 0;
    if (!s.check_classes && s.nfs.export_path.empty())
      throw UsageError(command + " --nfs-server needs --nfs-path (or NFS_PATH)");
    if (s.check_classes && s.provisioner_name.empty())
      throw UsageError(command +
                       " needs --nfs-server and --nfs-path, or PROVISIONER_NAME (or "
                       "--provisioner-name) to find our StorageClasses");
    if (s.command == Command::audit && s.provisioner_name.empty())
      throw UsageError(
          "audit needs PROVISIONER_NAME (or --provisioner-name): the volumes it calls ours are "
          "those provisioned by that name");
  }
  if (!s.nfs.export_path.empty() && s.nfs.export_path.front() != '/')
    throw UsageError("NFS_PATH \"" + s.nfs.export_path + "\" must be absolute (start with /)");
  if (!s.nfs.export_path.empty())
    if (const auto problem = nfs::export_path_problem(s.nfs.export_path); !problem.empty())
      throw UsageError("NFS_PATH \"" + s.nfs.export_path + "\" " + problem);
  if (!s.nfs.server.empty())
    if (const auto problem = nfs::server_problem(s.nfs.server); !problem.empty())
      throw UsageError("NFS_SERVER \"" + s.nfs.server + "\" " + problem);
  if (!s.provisioner_name.empty() && s.provisioner_name.find_first_of(" \t\n") != std::string::npos)
    throw UsageError("PROVISIONER_NAME \"" + s.provisioner_name + "\" must not contain spaces");

  s.nfs.uid = id_flag("--nfs-uid", uid, uid_opt->count() > 0);
  s.nfs.gid = id_flag("--nfs-gid", gid, gid_opt->count() > 0);
  s.nfs.timeout = positive_duration_flag("--nfs-timeout", nfs_timeout);

  if (elect_opt->count()) {
    s.leader_election.enabled = leader_elect;
  } else if (auto text = env_or(env, "ENABLE_LEADER_ELECTION"); !text.empty()) {
    auto value = base::parse_go_bool(text);
    if (!value)
      throw UsageError("ENABLE_LEADER_ELECTION=\"" + text +
                       "\" is not a boolean (use true or false)");
    s.leader_election.enabled = *value;
  }
  auto& le = s.leader_election;
  le.lease_duration = positive_duration_flag("--leader-elect-lease-duration", lease_duration);
  le.renew_deadline = positive_duration_flag("--leader-elect-renew-deadline", renew_deadline);
  le.retry_period = positive_duration_flag("--leader-elect-retry-period", retry_period);
  // client-go's own rules: a leader must be able to renew before its lease runs out.
  if (le.lease_duration <= le.renew_deadline)
    throw UsageError("--leader-elect-lease-duration must be longer than the renew deadline");
  if (le.renew_deadline.count() * 10 <= le.retry_period.count() * 12)
    throw UsageError("--leader-elect-renew-deadline must be longer than 1.2 x the retry period");

  s.pod_name = env_or(env, "POD_NAME");
  s.pod_namespace = env_or(env, "POD_NAMESPACE");
  if (le.lease_namespace.empty()) le.lease_namespace = s.pod_namespace;

  if (!s.metrics_address.empty()) check_address(s.metrics_address);
  if (!resync.empty()) s.resync_period = positive_duration_flag("--resync-period", resync);
  if (!retry_base.empty()) s.retry_base = positive_duration_flag("--retry-base", retry_base);
  if (!retry_max.empty()) s.retry_max = positive_duration_flag("--retry-max", retry_max);
  if (s.retry_base && s.retry_max && *s.retry_base > *s.retry_max)
    throw UsageError("--retry-base must not be longer than --retry-max");
  if (!stall_timeout.empty())
    s.stall_timeout = positive_duration_flag("--stall-timeout", stall_timeout);
  if (usage_interval == "0" || usage_interval == "0s")
    s.usage_interval = std::chrono::milliseconds(0);
  else if (!usage_interval.empty())
    s.usage_interval = positive_duration_flag("--usage-interval", usage_interval);
  return s;
}

}  // namespace nfsprov::config
