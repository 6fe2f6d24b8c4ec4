// nfs-provisioner: settings -> API client -> NFS pools and metrics -> (leader election) ->
// controller. Signals are blocked in every thread and taken by one sigwait thread: the first
// SIGTERM/SIGINT stops work and releases the Lease, a second one exits at once.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "nfs/export_pool.h"
#include "provisioner/base/heap.h"
#include "provisioner/config/duration.h"
#include "provisioner/config/settings.h"
#include "provisioner/controller/controller.h"
#include "provisioner/controller/lease_elector.h"
#include "provisioner/core/class_export.h"
#include "provisioner/kube/api_client.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/kube_config.h"
#include "provisioner/log/log.h"
#include "provisioner/ops/api_permissions.h"
#include "provisioner/ops/cached_check.h"
#include "provisioner/ops/controller_metrics.h"
#include "provisioner/ops/export_audit.h"
#include "provisioner/ops/export_check.h"
#include "provisioner/ops/export_readiness.h"
#include "provisioner/ops/forbidden_tracker.h"
#include "provisioner/ops/health_server.h"
#include "provisioner/ops/metrics.h"
#include "provisioner/ops/provisioner_metrics.h"
#include "provisioner/ops/release_finalizers.h"

namespace {

std::chrono::milliseconds as_millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

using namespace nfsprov;

constexpr const char* kProgram = "nfs-provisioner";

// A failure that ends the program with one line on stderr and a given status.
struct Fatal {
  int status;
  std::string line;
};

// Owns the sigwait thread. Construct before any other thread so all inherit the mask.
class SignalWaiter {
 public:
  SignalWaiter() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGUSR1);  // our own wake-up at exit
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  ~SignalWaiter() {
    if (thread_.joinable()) {
      done_ = true;
      pthread_kill(thread_.native_handle(), SIGUSR1);
      thread_.join();
    }
  }
  SignalWaiter(const SignalWaiter&) = delete;
  // For commands that run no shutdown logic: Ctrl-C then ends them as usual.
  void unblock() { pthread_sigmask(SIG_UNBLOCK, &set_, nullptr); }
  SignalWaiter& operator=(const SignalWaiter&) = delete;

  void start(std::stop_source shutdown, log::Logger& logger) {
    thread_ = std::thread([this, shutdown, &logger]() mutable {
      int received = 0;
      while (true) {
        int sig = 0;
        if (sigwait(&set_, &sig) != 0) continue;
        if (sig == SIGUSR1) {
          if (done_) return;
          continue;
        }
        if (++received == 1) {
          logger.info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
          shutdown.request_stop();
        } else {
          logger.warn("second signal: exiting at once");
          std::_Exit(1);
        }
      }
    });
  }

 private:
  sigset_t set_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

log::Level level_for(int verbosity) {
  return verbosity <= 0 ? log::Level::info : log::Level::debug;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "nfs-provisioner";
  return buf;
}

// Asks /version: proves the address and the credentials before anything starts.
void log_server_version(kube::ApiClient& client, const kube::KubeConfig& config,
                        log::Logger& logger) {
  try {
    auto version = client.get_path("/version");
    logger.info("connected to API server",
                {{"server", config.server}, {"version", version.value("gitVersion", "unknown")}});
  } catch (const kube::ApiError& e) {
    std::string why = e.kind() == kube::ApiErrorKind::unauthorized
                          ? "unauthorized (check the token or client certificate)"
                      : e.kind() == kube::ApiErrorKind::forbidden
                          ? "forbidden (check the RBAC rules)"
                          : std::string(e.what());
    throw Fatal{1, "cannot use the API server at " + config.server + ": " + why};
  }
}

kube::KubeConfig kube_config(const config::Settings& settings) {
  try {
    return kube::resolve_kube_config(settings.kubeconfig);
  } catch (const kube::ConfigError& e) {
    throw Fatal{2, e.what()};
  }
}

controller::ControllerOptions controller_options(const config::Settings& s) {
  controller::ControllerOptions o;
  o.provisioner_name = s.provisioner_name;
  o.default_export = s.nfs;
  o.workers = s.workers;
  if (s.resync_period)
    o.resync = std::chrono::duration_cast<std::chrono::seconds>(*s.resync_period);
  if (s.retry_base) o.backoff_base = *s.retry_base;
  if (s.retry_max) o.backoff_max = *s.retry_max;
  if (s.stall_timeout) o.stall_limit = *s.stall_timeout;
  o.usage_interval = s.usage_interval;
  o.usage_ops_per_second = s.usage_ops_per_second;
  return o;
}

// --leader-elect-namespace (or POD_NAMESPACE), else the kubeconfig's namespace, else default.
std::string lease_namespace(const config::Settings& settings, const kube::KubeConfig& config) {
  const auto& le = settings.leader_election;
  return !le.lease_namespace.empty()  ? le.lease_namespace
         : !config.namespace_.empty() ? config.namespace_
                                      : "default";
}

// A StorageClass of ours and the export it names, or why it names none.
struct ClassExport {
  std::string name;
  core::Outcome<nfs::ExportAddress> address;
};

std::vector<ClassExport> class_exports(kube::ApiClient& client, const config::Settings& settings) {
  const core::ProvisionerDefaults defaults{settings.provisioner_name, settings.nfs};
  std::vector<ClassExport> found;
  const auto classes = client.list(kube::kStorageClasses);
  for (const auto& sc : classes.value("items", nlohmann::json::array())) {
    if (sc.value("provisioner", "") != settings.provisioner_name) continue;
    ClassExport item{sc["metadata"].value("name", ""), core::class_export(&sc, defaults)};
    if (const auto* address = std::get_if<nfs::ExportAddress>(&item.address);
        address && address->server.empty())
      item.address = core::Refusal{
          "NoServer", "names no server (set NFS_SERVER/NFS_PATH or the class's server/share)"};
    found.push_back(std::move(item));
  }
  return found;
}

// Several classes may share one export: it is looked at once.
void add_export(std::vector<nfs::ExportAddress>& exports, const nfs::ExportAddress& address) {
  for (const auto& known : exports)
    if (known.key() == address.key()) return;
  exports.push_back(address);
}

// `check`: the given export, or, with a kubeconfig, the API permissions and the export of every
// StorageClass of ours.
int run_check(const config::Settings& settings, log::Logger& logger) {
  std::vector<nfs::ExportAddress> exports;
  bool denied = false;  // an API permission is missing
  if (!settings.check_classes) {
    exports.push_back(settings.nfs);
  } else {
    auto config = kube_config(settings);
    kube::ApiClient client(config);
    log_server_version(client, config, logger);
    const auto permissions = ops::check_permissions(
        client, ops::required_permissions(settings.leader_election.enabled,
                                          lease_namespace(settings, config)));
    std::cout << ops::format_permission_check(permissions);
    denied = std::any_of(permissions.begin(), permissions.end(),
                         [](const auto& line) { return line.verdict == ops::Verdict::fail; });
    bool refused = false;
    for (const auto& [name, outcome] : class_exports(client, settings)) {
      if (const auto* refusal = std::get_if<core::Refusal>(&outcome)) {
        std::cout << "StorageClass " << name << ": FAIL " << refusal->message << "\n";
        refused = true;
        continue;
      }
      const auto& address = std::get<nfs::ExportAddress>(outcome);
      std::cout << "StorageClass " << name << " -> " << address.display() << "\n";
      add_export(exports, address);
    }
    if (exports.empty() && !refused) {
      std::cout << "no StorageClass has provisioner " << settings.provisioner_name << "\n";
      if (settings.nfs.server.empty()) return 1;
      exports.push_back(settings.nfs);  // at least the default export can be judged
    }
    if (refused) {
      for (const auto& address : exports)
        std::cout << ops::format_check(ops::check_export(address));
      return 1;
    }
  }
  // Every line must PASS: a warning (low space, squashed root) is worth a non-zero status
  // in a pre-flight check, even though the provisioner would run.
  bool all_pass = true;
  for (const auto& address : exports) {
    auto result = ops::check_export(address);
    std::cout << ops::format_check(result);
    all_pass = all_pass && result.ok();
  }
  return all_pass && !denied ? 0 : 1;
}

// `release-finalizers`: our finalizer off our PVs, for a rollback to nfs-subdir or an
// uninstall (ops/release_finalizers.h). 0 when every PV was released, 1 when one was not.
int run_release_finalizers(const config::Settings& settings, log::Logger& logger) {
  auto config = kube_config(settings);
  kube::ApiClient client(config);
  log_server_version(client, config, logger);
  ops::ReleaseOptions options{.provisioner_name = settings.provisioner_name,
                              .all = settings.release.all,
                              .dry_run = settings.release.dry_run};
  try {
    return ops::release_finalizers(client, options, std::cout).ok() ? 0 : 1;
  } catch (const kube::ApiError& e) {
    // Only the list escapes: a failure on one PV is that PV's line.
    throw Fatal{1, std::string("cannot list PersistentVolumes: ") + e.what()};
  }
}

// `audit`: what is on the given export, or on the export of every StorageClass of ours (and
// the default one), against the PVs and claims (ops/export_audit.h). 0 when every export was
// read and every step asked for was done, 1 otherwise.
int run_audit(const config::Settings& settings, log::Logger& logger) {
  auto config = kube_config(settings);
  kube::ApiClient client(config);
  log_server_version(client, config, logger);
  std::vector<nfs::ExportAddress> exports;
  bool refused = false;
  if (settings.check_classes) {
    if (!settings.nfs.server.empty() && !settings.nfs.export_path.empty())
      exports.push_back(settings.nfs);
    for (const auto& [name, outcome] : class_exports(client, settings)) {
      if (const auto* refusal = std::get_if<core::Refusal>(&outcome)) {
        std::cerr << kProgram << ": StorageClass " << name << ": " << refusal->message << "\n";
        refused = true;
      } else {
        add_export(exports, std::get<nfs::ExportAddress>(outcome));
      }
    }
  } else {
    exports.push_back(settings.nfs);
  }
  if (exports.empty())
    throw Fatal{1, "no export to audit: no StorageClass has provisioner " +
                       settings.provisioner_name + " and NFS_SERVER/NFS_PATH are not set"};
  const ops::AuditOptions options{.provisioner_name = settings.provisioner_name,
                                  .archive_orphans = settings.audit.archive_orphans,
                                  .delete_expired = settings.audit.delete_expired,
                                  .confirm = settings.audit.confirm};
  ops::AuditResult result;
  try {
    result = ops::audit_exports(client, exports, options);
  } catch (const kube::ApiError& e) {
    throw Fatal{1, std::string("cannot list PersistentVolumes and claims: ") + e.what()};
  }
  if (settings.audit.json)
    std::cout << core::audit_json(result.reports, result.cleanup).dump(2) << "\n";
  else
    std::cout << core::audit_table(result.reports, result.cleanup);
  for (const auto& failure : result.failures)
    std::cerr << kProgram << ": cannot audit " << failure << "\n";
  return result.ok() && !refused ? 0 : 1;
}

int run_provisioner(const config::Settings& settings, log::Logger& logger, SignalWaiter& signals) {
  std::stop_source shutdown;
  signals.start(shutdown, logger);

  logger.debug("settings", {{"provisioner", settings.provisioner_name},
                            {"export", settings.nfs.display()},
                            {"workers", settings.workers},
                            {"leader_election", settings.leader_election.enabled ? "on" : "off"},
                            {"metrics_address", settings.metrics_address}});
  auto config = kube_config(settings);
  // How we authenticate, never with what: the token and keys stay out of the logs.
  logger.debug("kubeconfig", {{"server", config.server},
                              {"namespace", config.namespace_},
                              {"auth", !config.token.empty()             ? "token"
                                       : !config.token_file.empty()      ? "token-file"
                                       : !config.client_cert_pem.empty() ? "client-certificate"
                                                                         : "none"}});
  ops::MetricsRegistry registry;
  ops::ProvisionerMetrics metrics(registry, NP_VERSION);
  ops::ControllerMetrics controller_metrics(metrics);
  // Every client tells it about 403s: logged once per missing permission, counted, and
  // /readyz fails while they keep coming.
  ops::ForbiddenTracker forbidden(logger, metrics);
  const auto on_forbidden = [&forbidden](const kube::ApiError& e) { forbidden.record(e); };

  kube::ClientOptions client_options;
  client_options.qps = settings.kube_api_qps;
  client_options.burst = settings.kube_api_burst;
  client_options.on_forbidden = on_forbidden;
  // Events (two per claim, advice for humans) on a client of their own: with the same limits
  // they would take two thirds of the workers' API tokens in a burst of claims. It posts the
  // last ones after the stop (EventRecorder's shutdown flush, bounded by its own deadline).
  kube::ApiClient event_client(config, client_options);
  // The workers' and informers' calls end at once on SIGTERM: a shutdown does not wait out a
  // frozen API server's request timeout (what they were doing is redone by the next leader).
  client_options.stop = shutdown.get_token();
  kube::ApiClient client(config, client_options);
  log_server_version(client, config, logger);

  // With leader election nothing changes on NFS or in the API unless our Lease is fresh: a
  // leader frozen mid-provision wakes up fenced off (controller/lease_fence.h).
  const auto fence =
      settings.leader_election.enabled
          ? std::make_unique<controller::LeaseFence>(settings.leader_election.renew_deadline)
          : std::make_unique<controller::LeaseFence>();
  nfs::ExportPools pools(static_cast<std::size_t>(settings.workers), metrics.nfs_observer());
  pools.set_write_fence([&fence = *fence] { return fence.open(); });

  // Where the controller is while we lead, for /readyz.
  std::mutex current_mutex;
  controller::Controller* current = nullptr;
  std::atomic<bool> leading{false};

  ops::LivenessRegistry liveness;
  ops::ReadinessRegistry readiness;
  // The standby's elector, for /readyz (set while it campaigns).
  std::atomic<const controller::LeaseElector*> campaigning{nullptr};
  readiness.add("controller", [&]() -> ops::CheckOutcome {
    std::lock_guard lock(current_mutex);
    if (current) return {current->synced(), current->synced() ? "synced" : "listing"};
    // A standby is ready: it is healthy and waiting for the Lease.
    return {true, leading ? "starting" : "standby"};
  });
  // Kubernetes must see a provisioner that cannot reach the API or is refused by it (a 403
  // storm after an RBAC change): the leader's informers, a standby's reads of the Lease.
  readiness.add("api", [&]() -> ops::CheckOutcome {
    {
      std::lock_guard lock(current_mutex);
      if (current)
        return {current->api_ok(), current->api_ok() ? "lists and watches answer"
                                                     : "list/watch failing (see the log)"};
    }
    if (const auto* elector = campaigning.load())
      return {elector->api_ok(), elector->api_ok() ? "lease readable" : "cannot read the Lease"};
    return {true, "not started"};
  });
  readiness.add("rbac", [&forbidden] { return forbidden.readiness(); });
  // The kubelet restarts a wedged provisioner: a worker stuck in one step, an informer that
  // stopped making progress. A standby has no such loops (its elector's requests time out).
  liveness.add("controller", [&](ops::LivenessRegistry::Clock::time_point now) {
    std::lock_guard lock(current_mutex);
    if (!current) return ops::CheckOutcome{true, leading ? "starting" : "standby"};
    const auto stalls = current->stalls(now);
    if (stalls.empty()) return ops::CheckOutcome{true, "informers and workers progress"};
    std::string detail;
    for (const auto& stall : stalls) {
      if (!detail.empty()) detail += "; ";
      detail += stall.loop + " for " + config::format_duration(as_millis(stall.stalled_for)) +
                " (allowed " + config::format_duration(as_millis(stall.allowed)) + ")";
    }
    return ops::CheckOutcome{false, detail};
  });
  // As leader, the default export must answer (cached: a kubelet polling /readyz must not
  // become NFS traffic, and a hung server blocks one probe, not every request).
  readiness.add(
      "export",
      ops::cached_check(
          [&, probe = ops::export_answers(pools.get(settings.nfs), shutdown.get_token())]() {
            if (!leading && settings.leader_election.enabled)
              return ops::CheckOutcome{true, "standby"};
            return probe();
          },
          std::chrono::seconds(10)));
  std::unique_ptr<ops::HealthServer> health;
  if (!settings.metrics_address.empty()) {
    try {
      health =
          std::make_unique<ops::HealthServer>(ops::parse_listen_address(settings.metrics_address),
                                              registry, liveness, readiness, logger);
    } catch (const std::exception& e) {
      throw Fatal{1, "cannot serve metrics on " + settings.metrics_address + ": " + e.what()};
    }
    logger.info("serving /metrics /healthz /readyz", {{"port", health->port()}});
  }

  // The server may come up later: the diagnosis is logged, never fatal, and runs beside
  // start-up so a dead server does not delay it.
  std::jthread diagnosis([&settings, &logger] {
    auto d = ops::diagnose_export(settings.nfs);
    if (d.finding == ops::Finding::none)
      logger.info(d.line);
    else
      logger.warn(d.line);
  });

  std::atomic<int> status{0};
  auto work = [&](std::stop_token stop) {
    try {
      auto options = controller_options(settings);
      options.fence = fence.get();
      // A burst of claims leaves up to --workers NFS connections per export and as many API
      // connections, each with its buffers (and TLS session), and megabytes of freed heap
      // (answers, Events, parsed objects) that glibc would keep for good: the quiet after it
      // needs one connection of each and none of that.
      options.on_idle = [&pools, &client, &event_client] {
        pools.close_idle(1);
        client.close_idle_connections(1);
        event_client.close_idle_connections(1);
        base::release_free_heap();
      };
      controller::Controller c(client, pools, std::move(options), logger, &controller_metrics,
                               &event_client);
      {
        std::lock_guard lock(current_mutex);
        current = &c;
      }
      metrics.set_leader(true);
      logger.info("started provisioner controller",
                  {{"provisioner", settings.provisioner_name}, {"export", settings.nfs.display()}});
      c.run(stop);
      std::lock_guard lock(current_mutex);
      current = nullptr;
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(current_mutex);
        current = nullptr;
      }
      logger.error("controller failed", {{"error", e.what()}});
      status = 1;
      shutdown.request_stop();
    }
    metrics.set_leader(false);
    // Leadership lost: the caches are gone, and so must their pages be (a standby holds
    // nothing).
    base::release_free_heap();
  };

  if (settings.leader_election.enabled) {
    const auto& le = settings.leader_election;
    controller::LeaseElectorOptions options;
    options.lease_namespace = lease_namespace(settings, config);
    options.lease_name = controller::lease_name_for(settings.provisioner_name);
    options.identity =
        controller::make_identity(settings.pod_name.empty() ? host_name() : settings.pod_name);
    options.lease_duration = le.lease_duration;
    options.renew_deadline = le.renew_deadline;
    options.retry_period = le.retry_period;
    // Its own client: a renewal must not queue behind the workers' requests. A slow control
    // plane (an SD-card etcd answers in seconds) must not lose the Lease for slowness alone:
    // one try may take half the renew deadline, so a second still fits before it passes
    // (it was the retry period, 2 s: a 3 s answer never renewed).
    kube::ClientOptions lease_client_options;
    lease_client_options.request_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(le.renew_deadline / 2);
    lease_client_options.max_retries = 0;
    lease_client_options.on_forbidden = on_forbidden;
    kube::ApiClient lease_client(config, lease_client_options);
    controller::LeaseElector elector(lease_client, options, logger, fence.get());
    campaigning = &elector;
    elector.run(shutdown.get_token(), {.on_started_leading =
                                           [&](std::stop_token stop) {
                                             leading = true;
                                             work(stop);
                                           },
                                       .on_stopped_leading = [&] { leading = false; },
                                       .on_new_leader = {}});
    campaigning = nullptr;
  } else {
    work(shutdown.get_token());
  }
  logger.info("stopped", {{"status", status.load()}});
  return status;
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  // glibc gives each thread that allocates an arena of its own (up to 8 per core), each
  // keeping freed memory: with ~15 mostly idle threads that was half of the idle heap.
  // Our threads wait on the network, not on malloc, so two arenas cost no throughput.
  mallopt(M_ARENA_MAX, 2);
  // Before any thread exists, so every thread inherits the blocked signals.
  SignalWaiter signals;

  config::Settings settings;
  try {
    settings = config::parse_settings(std::vector<std::string>(argv + 1, argv + argc),
                                      config::process_environment(envp));
  } catch (const config::UsageError& e) {
    std::cerr << kProgram << ": " << e.what() << "\n";
    return 2;
  }
  switch (settings.command) {
    case config::Command::help:
      std::cout << settings.help_text;
      return 0;
    case config::Command::version:
      std::cout << kProgram << " " << NP_VERSION << "\n";
      return 0;
    default:
      break;
  }

  log::Logger logger(std::cerr, level_for(settings.verbosity));
  try {
    if (settings.command == config::Command::check) {
      signals.unblock();
      return run_check(settings, logger);
    }
    if (settings.command == config::Command::audit) {
      signals.unblock();
      return run_audit(settings, logger);
    }
    if (settings.command == config::Command::release_finalizers) {
      signals.unblock();
      return run_release_finalizers(settings, logger);
    }
    return run_provisioner(settings, logger, signals);
  } catch (const Fatal& f) {
    std::cerr << kProgram << ": " << f.line << "\n";
    return f.status;
  } catch (const std::exception& e) {
    std::cerr << kProgram << ": " << e.what() << "\n";
    return 1;
  }
}
