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

namespace {

// parse_settings in three steps: the command line as CLI11 reads it (declare_options,
// read_command_line), the environment where a flag was not given (apply_environment), then
// every check and conversion in one fixed order (validated), so that of several mistakes the
// same one is always reported first.

// The command line as read: the Settings fields CLI11 fills directly, and the texts and
// given-or-not marks the two later steps still need.
struct CommandLine {
  Settings settings;
  bool version = false;
  std::string kubeconfig, name, server, path;
  bool name_given = false, server_given = false, path_given = false;
  long long uid = -1, gid = -1;
  bool uid_given = false, gid_given = false;
  bool leader_elect = true, leader_elect_given = false;
  // ENABLE_LEADER_ELECTION when --leader-elect was not given: checked by validated().
  std::string leader_elect_env;
  std::string nfs_timeout = format_duration(settings.nfs.timeout);
  std::string lease_duration = format_duration(settings.leader_election.lease_duration),
              renew_deadline = format_duration(settings.leader_election.renew_deadline),
              retry_period = format_duration(settings.leader_election.retry_period);
  std::string resync, retry_base, retry_max, stall_timeout, usage_interval;
  std::string output = "table", delete_expired;
};

// What declare_options hands back to find out what was given.
struct Declared {
  CLI::Option* name = nullptr;
  CLI::Option* server = nullptr;
  CLI::Option* path = nullptr;
  CLI::Option* uid = nullptr;
  CLI::Option* gid = nullptr;
  CLI::Option* leader_elect = nullptr;
  CLI::App* check = nullptr;
  CLI::App* release = nullptr;
  CLI::App* audit = nullptr;
};

// Every flag and subcommand, bound to the fields of line (which must outlive app).
Declared declare_options(CLI::App& app, CommandLine& line) {
  Settings& s = line.settings;
  Declared declared;
  app.set_help_flag("-h,--help", "Print this help and exit");

  // The flags' defaults are the Settings' own, spelt as the flags take them.
  const auto said = [](const std::string& value) { return " (default " + value + ")"; };
  const auto number = [](double value) {
    std::ostringstream text;
    text << value;
    return text.str();
  };

  app.add_option("--kubeconfig", line.kubeconfig,
                 "Kubeconfig file (else $KUBECONFIG, in-cluster, ~/.kube/config)");
  declared.name = app.add_option("--provisioner-name", line.name,
                                 "Name StorageClasses use in their provisioner field "
                                 "(else $PROVISIONER_NAME)");
  declared.server =
      app.add_option("--nfs-server", line.server, "NFS server host or IP (else $NFS_SERVER)");
  declared.path =
      app.add_option("--nfs-path", line.path, "Exported path on the server (else $NFS_PATH)");
  app.add_option("--nfs-port", s.nfs.nfs_port, "NFS port (0: ask the portmapper)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--mount-port", s.nfs.mount_port,
                 "MOUNT protocol port, for servers without a portmapper (0: ask the portmapper)")
      ->check(CLI::Range(0, 65535));
  declared.uid = app.add_option("--nfs-uid", line.uid, "AUTH_SYS uid presented to the server");
  declared.gid = app.add_option("--nfs-gid", line.gid, "AUTH_SYS gid presented to the server");
  app.add_option("--nfs-timeout", line.nfs_timeout,
                 "Deadline of every NFS call" + said(line.nfs_timeout));
  app.add_option(
         "--workers", s.workers,
         "Claims handled at once, at most (one worker idles; more start with the backlog and "
         "end after a minute idle)" +
             said(std::to_string(s.workers)))
      ->check(CLI::Range(1, 256));
  declared.leader_elect =
      app.add_flag("--leader-elect{true}", line.leader_elect,
                   "Run only while holding the Lease (default true; "
                   "else $ENABLE_LEADER_ELECTION); --leader-elect=false to turn off");
  app.add_option("--leader-elect-namespace", s.leader_election.lease_namespace,
                 "Namespace of the Lease (default $POD_NAMESPACE, else the kubeconfig's)");
  app.add_option("--leader-elect-lease-duration", line.lease_duration,
                 "Lease duration" + said(line.lease_duration));
  app.add_option("--leader-elect-renew-deadline", line.renew_deadline,
                 "Give up leading when not renewed for this long" + said(line.renew_deadline));
  app.add_option("--leader-elect-retry-period", line.retry_period,
                 "Interval between Lease attempts" + said(line.retry_period));
  app.add_option("--kube-api-qps", s.kube_api_qps,
                 "Client-side API rate limit" + said(number(s.kube_api_qps)))
      ->check(CLI::PositiveNumber);
  app.add_option("--kube-api-burst", s.kube_api_burst,
                 "Client-side API burst" + said(std::to_string(s.kube_api_burst)))
      ->check(CLI::PositiveNumber);
  app.add_option("--metrics-address", s.metrics_address,
                 "Listen address of /metrics, /healthz, /readyz (default " + s.metrics_address +
                     "; empty: off)");
  app.add_option("--resync-period", line.resync, "Full re-examination of claims and volumes");
  app.add_option("--retry-base", line.retry_base, "First back-off after a failed claim");
  app.add_option("--retry-max", line.retry_max, "Longest back-off after failed claims");
  app.add_option("--stall-timeout", line.stall_timeout,
                 "/healthz fails when one claim or volume step takes longer (a wedged worker; "
                 "default 10m)");
  app.add_option("--usage-interval", line.usage_interval,
                 "Measure every Bound volume's bytes and inodes this often (default 1h; 0: never)");
  app.add_option("--usage-ops-per-second", s.usage_ops_per_second,
                 "Most NFS calls per second a usage walk makes (default 100; 0: no cap)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("-v", s.verbosity, "More logging: -v debug (repeating it changes nothing)");
  app.add_flag("--version", line.version, "Print the version and exit");

  declared.check = app.add_subcommand(
      "check",
      "Check the export (--nfs-server/--nfs-path) or, without them, the export of every "
      "StorageClass of ours; exit 0 only if all pass");
  declared.check->fallthrough();
  auto* release = declared.release = app.add_subcommand(
      "release-finalizers",
      "Remove our finalizer from our PVs being deleted (stuck Terminating after a switch back "
      "to nfs-subdir or an uninstall); takes --kubeconfig and --provisioner-name; API only, "
      "never NFS; exit 0 when all were released, 1 when one was not");
  release->add_flag("--all", s.release.all,
                    "Every PV of ours, also those not being deleted (before an uninstall)");
  release->add_flag("--dry-run", s.release.dry_run, "Print what would be released, change nothing");
  // --kubeconfig and --provisioner-name are the main command's, after the subcommand too.
  release->fallthrough();
  auto* audit = declared.audit = app.add_subcommand(
      "audit",
      "List what is on the export (--nfs-server/--nfs-path) or on the export of every "
      "StorageClass of ours: volumes with their PV, claim and phase, orphans, missing "
      "directories, archives with age and size; changes nothing unless asked and confirmed");
  audit->add_option("--output,-o", line.output, "table (default) or json");
  audit->add_flag("--archive-orphans", s.audit.archive_orphans,
                  "Rename each orphan of ours to archived-<name> (with --yes)");
  audit->add_option("--delete-expired", line.delete_expired,
                    "Delete archives of ours older than this age, e.g. 30d, 12h (with --yes)");
  audit->add_flag("--yes", s.audit.confirm,
                  "Carry out --archive-orphans/--delete-expired; without it they are only printed");
  audit->fallthrough();
  // One command per run: "check release-finalizers" is a mistake, not two jobs.
  app.require_subcommand(0, 1);
  return declared;
}

// CLI11 consumes its arguments from the back. "--flag=" (Go flag style for an empty value,
// e.g. --metrics-address= to turn metrics off) is not accepted by CLI11: split it.
std::vector<std::string> cli11_order(const std::vector<std::string>& args) {
  std::vector<std::string> reversed;
  for (auto it = args.rbegin(); it != args.rend(); ++it) {
    if (it->size() > 3 && it->starts_with("--") && it->back() == '=') {
      reversed.emplace_back();
      reversed.push_back(it->substr(0, it->size() - 1));
    } else {
      reversed.push_back(*it);
    }
  }
  return reversed;
}

// Step 1: the command line alone. Settings::command says which command, help and version
// included (help_text then set). Throws UsageError for what CLI11 refuses.
CommandLine read_command_line(const std::vector<std::string>& args) {
  CommandLine line;
  CLI::App app{
      "Dynamic NFS provisioner for Kubernetes: creates a directory on an NFS export for each "
      "claim, speaking NFS in user space (no mount, no privileged pod).",
      "nfs-provisioner"};
  const Declared declared = declare_options(app, line);
  Settings& s = line.settings;
  try {
    app.parse(cli11_order(args));
  } catch (const CLI::CallForHelp&) {
    s.command = Command::help;
    s.help_text = app.help();
    return line;
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  if (line.version) {
    s.command = Command::version;
    return line;
  }
  if (declared.check->parsed()) s.command = Command::check;
  if (declared.release->parsed()) s.command = Command::release_finalizers;
  if (declared.audit->parsed()) s.command = Command::audit;
  line.name_given = declared.name->count() > 0;
  line.server_given = declared.server->count() > 0;
  line.path_given = declared.path->count() > 0;
  line.uid_given = declared.uid->count() > 0;
  line.gid_given = declared.gid->count() > 0;
  line.leader_elect_given = declared.leader_elect->count() > 0;
  return line;
}

// Step 2: nfs-subdir's environment variables where their flag was not given. Checks nothing:
// validated() does, in its order.
void apply_environment(CommandLine& line, const Environment& env) {
  Settings& s = line.settings;
  // Only the flag: $KUBECONFIG may list several files, and kube::resolve_kube_config reads it
  // itself to merge them. Passed here it would be taken for one file named "a:b".
  if (!line.kubeconfig.empty()) s.kubeconfig = line.kubeconfig;
  s.nfs.server = line.server_given ? line.server : env_or(env, "NFS_SERVER");
  s.nfs.export_path = line.path_given ? line.path : env_or(env, "NFS_PATH");
  s.provisioner_name = line.name_given ? line.name : env_or(env, "PROVISIONER_NAME");
  if (!line.leader_elect_given) line.leader_elect_env = env_or(env, "ENABLE_LEADER_ELECTION");
  s.pod_name = env_or(env, "POD_NAME");
  s.pod_namespace = env_or(env, "POD_NAMESPACE");
  auto& le = s.leader_election;
  if (le.lease_namespace.empty()) le.lease_namespace = s.pod_namespace;
}

// The audit subcommand's own options.
void validate_audit(const CommandLine& line, AuditSettings& audit) {
  if (line.output != "table" && line.output != "json")
    throw UsageError("audit --output \"" + line.output + "\" is not table or json");
  audit.json = line.output == "json";
  if (!line.delete_expired.empty()) {
    audit.delete_expired = core::parse_age(line.delete_expired);
    if (!audit.delete_expired)
      throw UsageError("audit --delete-expired \"" + line.delete_expired +
                       "\" is not an age such as 30d, 12h or 1d12h");
  }
}

// What the command needs to know where the export and the provisioner name come from.
void validate_required(const CommandLine& line, Settings& s) {
  if (s.command == Command::run) {
    // The same order and wording as nfs-subdir-external-provisioner's fatal checks.
    if (s.nfs.server.empty()) throw UsageError("NFS_SERVER is not set (or pass --nfs-server)");
    if (s.nfs.export_path.empty()) throw UsageError("NFS_PATH is not set (or pass --nfs-path)");
    if (s.provisioner_name.empty())
      throw UsageError("PROVISIONER_NAME is not set (or pass --provisioner-name)");
    return;
  }
  const std::string command = s.command == Command::audit ? "audit" : "check";
  s.check_classes = !line.server_given;
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

// The export, the provisioner name and the NFS call settings, each as it may be written.
void validate_nfs(const CommandLine& line, Settings& s) {
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

  s.nfs.uid = id_flag("--nfs-uid", line.uid, line.uid_given);
  s.nfs.gid = id_flag("--nfs-gid", line.gid, line.gid_given);
  s.nfs.timeout = positive_duration_flag("--nfs-timeout", line.nfs_timeout);
}

void validate_leader_election(const CommandLine& line, LeaderElectionSettings& le) {
  if (line.leader_elect_given) {
    le.enabled = line.leader_elect;
  } else if (const auto& text = line.leader_elect_env; !text.empty()) {
    auto value = base::parse_go_bool(text);
    if (!value)
      throw UsageError("ENABLE_LEADER_ELECTION=\"" + text +
                       "\" is not a boolean (use true or false)");
    le.enabled = *value;
  }
  le.lease_duration = positive_duration_flag("--leader-elect-lease-duration", line.lease_duration);
  le.renew_deadline = positive_duration_flag("--leader-elect-renew-deadline", line.renew_deadline);
  le.retry_period = positive_duration_flag("--leader-elect-retry-period", line.retry_period);
  // client-go's own rules: a leader must be able to renew before its lease runs out.
  if (le.lease_duration <= le.renew_deadline)
    throw UsageError("--leader-elect-lease-duration must be longer than the renew deadline");
  if (le.renew_deadline.count() * 10 <= le.retry_period.count() * 12)
    throw UsageError("--leader-elect-renew-deadline must be longer than 1.2 x the retry period");
}

// The operations server and the controller's timings.
void validate_timings(const CommandLine& line, Settings& s) {
  if (!s.metrics_address.empty()) check_address(s.metrics_address);
  if (!line.resync.empty())
    s.resync_period = positive_duration_flag("--resync-period", line.resync);
  if (!line.retry_base.empty())
    s.retry_base = positive_duration_flag("--retry-base", line.retry_base);
  if (!line.retry_max.empty()) s.retry_max = positive_duration_flag("--retry-max", line.retry_max);
  if (s.retry_base && s.retry_max && *s.retry_base > *s.retry_max)
    throw UsageError("--retry-base must not be longer than --retry-max");
  if (!line.stall_timeout.empty())
    s.stall_timeout = positive_duration_flag("--stall-timeout", line.stall_timeout);
  if (line.usage_interval == "0" || line.usage_interval == "0s")
    s.usage_interval = std::chrono::milliseconds(0);
  else if (!line.usage_interval.empty())
    s.usage_interval = positive_duration_flag("--usage-interval", line.usage_interval);
}

// Step 3: every check and conversion, in a fixed order; throws UsageError at the first
// mistake.
Settings validated(CommandLine line) {
  Settings& s = line.settings;
  if (s.command == Command::audit) validate_audit(line, s.audit);
  if (s.command == Command::release_finalizers) {
    if (s.provisioner_name.empty())
      throw UsageError(
          "release-finalizers needs PROVISIONER_NAME (or --provisioner-name): the PVs it "
          "releases are those provisioned by that name");
    if (s.provisioner_name.find_first_of(" \t\n") != std::string::npos)
      throw UsageError("PROVISIONER_NAME \"" + s.provisioner_name + "\" must not contain spaces");
    // It talks only to the API: the NFS and leader-election settings are none of its
    // business, and a stray value there must not stop a rollback.
    return std::move(s);
  }
  validate_required(line, s);
  validate_nfs(line, s);
  validate_leader_election(line, s.leader_election);
  validate_timings(line, s);
  return std::move(s);
}

}  // namespace

Settings parse_settings(const std::vector<std::string>& args, const Environment& env) {
  CommandLine line = read_command_line(args);
  const Command command = line.settings.command;
  if (command == Command::help || command == Command::version) return std::move(line.settings);
  apply_environment(line, env);
  return validated(std::move(line));
}

}  // namespace nfsprov::config
