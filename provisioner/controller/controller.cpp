#include "provisioner/controller/controller.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "provisioner/base/sleep.h"
#include "provisioner/controller/archive_expirer.h"
#include "provisioner/controller/claim_expander.h"
#include "provisioner/controller/claim_provisioner.h"
#include "provisioner/controller/clone_runner.h"
#include "provisioner/controller/event_recorder.h"
#include "provisioner/controller/orphan_sweeper.h"
#include "provisioner/controller/refusal_memory.h"
#include "provisioner/controller/volume_reclaimer.h"
#include "provisioner/controller/volume_usage_meter.h"
#include "provisioner/controller/work_key.h"
#include "provisioner/controller/work_queue.h"
#include "provisioner/controller/worker_pool.h"
#include "provisioner/core/annotations.h"
#include "provisioner/core/archive_retention.h"
#include "provisioner/core/cache_records.h"
#include "provisioner/core/claim_filter.h"
#include "provisioner/core/class_export.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/volume_identity.h"
#include "provisioner/kube/informer.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::controller {

namespace {

// How often informer counters and the queue depth go to the observer.
constexpr std::chrono::seconds kStatsInterval{10};
// A worker beyond the first ends after this long without a key (see WorkerPool).
constexpr std::chrono::seconds kWorkerIdle{60};
// How often every export's statvfs is refreshed for the metrics (ExportUsageCache's max age).
constexpr std::chrono::seconds kUsageInterval{30};

std::string volume_class(const nlohmann::json& pv) {
  return core::string_field(core::field(pv, "spec"), "storageClassName");
}

std::string object_name(const nlohmann::json& object) {
  return core::metadata_field(object, "name");
}

}  // namespace

struct Controller::Impl {
  Impl(kube::ApiClient& client, nfs::ExportPools& pools, ControllerOptions opts, log::Logger& log,
       ControllerObserver* obs, kube::ApiClient* event_client)
      : api(client),
        export_pools(pools),
        options(std::move(opts)),
        logger(log),
        observer(obs ? *obs : no_observer),
        events(event_client ? *event_client : client, options.provisioner_name, log),
        refusals(options.backoff_max),
        usage(observer, logger),
        directories(options.provisioner_name),
        queue(core::BackoffPolicy{options.backoff_base, options.backoff_max}),
        claims(client, kube::kPersistentVolumeClaims),
        volumes(client, kube::kPersistentVolumes),
        classes(client, kube::kStorageClasses),
        clones(
            context(), pools, [this](const std::string& key) { enqueue(key); },
            options.clone_progress_interval),
        provisioner(context(), core::VolumePlanner(defaults_of(options)), clones),
        expander(context()),
        reclaimer(context(), core::DeletionPlanner(defaults_of(options))),
        volume_meter(context()),
        workers(
            queue, options.workers, kWorkerIdle,
            [this](const std::string& key) { return process(key); }, logger, observer) {
    set_transforms();
    set_handlers();
  }

  WorkContext context() {
    return WorkContext{api,      export_pools, events,  logger, observer,
                       refusals, directories,  options, usage,  stopping.get_token()};
  }

  CacheView caches() {
    return CacheView{[this](const std::string& key) { return claims.get(key); },
                     [this](const std::string& name) { return volumes.get(name); },
                     [this](const std::string& name) { return classes.get(name); }};
  }
  void set_transforms();
  void set_handlers();
  void enqueue_class_members(const std::string& class_name);
  void resync();
  void report_stats();
  // queue.add, then a worker if none is free: one stuck on a frozen export must not hold up
  // the claims queued after it, of other exports too.
  void enqueue(const std::string& key) {
    queue.add(key);
    workers.add_worker_if_needed();
  }
  // The default export and those of our classes, each once.
  std::vector<nfs::ExportAddress> our_exports();
  // False when an export did not answer.
  bool sweep_orphans();
  // Every PV's name and every claim's volume name, from the caches in place.
  core::LiveNames live_names() const;
  void expire_archives();
  // Each volume the cache keeps whole (ours, and any NFS volume: volume_record), made an
  // object one at a time; the compact ones are neither, and nothing that reads a volume's
  // NFS source or directory needs them.
  void for_each_whole_volume(const std::function<void(nlohmann::json)>& each) const;
  // The same as one JSON array.
  nlohmann::json whole_volumes() const;
  // One pass of the volume usage walks (VolumeUsageMeter), on its own thread.
  void measure_volumes(std::stop_token stop);
  // Every export's free space, for the metrics (the cache asks only when its value is old).
  void refresh_usage();
  StepResult process(const std::string& key);

  kube::ApiClient& api;
  nfs::ExportPools& export_pools;
  ControllerOptions options;
  log::Logger& logger;
  ControllerObserver no_observer;
  ControllerObserver& observer;
  EventRecorder events;
  RefusalMemory refusals;
  ExportUsageCache usage;
  core::DirectoryIndex directories;
  WorkQueue queue;
  kube::Informer claims;
  kube::Informer volumes;
  kube::Informer classes;
  // Requested by run's stop: the steps' NFS calls (WorkContext::stop) end at once.
  std::stop_source stopping;
  CloneRunner clones;
  ClaimProvisioner provisioner;
  ClaimExpander expander;
  VolumeReclaimer reclaimer;
  VolumeUsageMeter volume_meter;
  // Up to options.workers, working process on the queue's keys; each extra one ends after
  // kWorkerIdle without work. The keys they worked (workers.worked()) and the background
  // passes ended (sweep, usage walk: each freed a copy of the caches) so far are for
  // ControllerOptions::on_idle.
  WorkerPool workers;
  std::atomic<std::uint64_t> passes{0};
  bool ran = false;
};

void Controller::Impl::set_transforms() {
  // Most claims of a big cluster are another provisioner's: compact records (cache_records.h).
  claims.set_transform({[this](nlohmann::json claim) {
                          return core::claim_record(
                              std::move(claim), options.provisioner_name,
                              [this](const std::string& name) -> std::optional<std::string> {
                                const auto sc = classes.get(name);
                                if (!sc) return std::nullopt;
                                return core::string_field(*sc, "provisioner");
                              });
                        },
                        core::load_record});
  volumes.set_transform({[this](nlohmann::json pv) {
                           return core::volume_record(std::move(pv), options.provisioner_name);
                         },
                         core::load_record});
  classes.set_transform(
      {[](nlohmann::json object) { return core::object_record(std::move(object)); },
       core::load_record});
}

void Controller::Impl::set_handlers() {
  const auto on_error = [this](std::string_view resource) {
    return [this, resource](std::string_view operation, const std::string& error) {
      logger.warn("list/watch failed, retrying with back-off",
                  {{"resource", resource}, {"operation", operation}, {"error", error}});
    };
  };
  auto on_claim = [this](const nlohmann::json& claim) {
    // Handed to another provisioner: nothing for a worker to do, ever (see process). In a
    // big cluster most claims are; queueing each at the first list cost time and left the
    // heap scattered.
    if (claim.contains("compact") &&
        (core::annotation_of(claim, core::kStorageProvisionerAnnotation) ||
         core::annotation_of(claim, core::kBetaStorageProvisionerAnnotation)))
      return;
    enqueue(claim_key(kube::object_key(claim)));
  };
  claims.set_handlers(
      {on_claim, [on_claim](const nlohmann::json&, const nlohmann::json& now) { on_claim(now); },
       [this](const nlohmann::json& claim) {
         refusals.forget(claim_key(kube::object_key(claim)));
         // A directory reserved for a volume that will now never be made is free again, and
         // its copy (a clone's) is not worth finishing.
         const std::string pv_name = core::volume_name_for(claim);
         clones.cancel(pv_name);
         directories.release(pv_name);
       },
       on_error(kube::kPersistentVolumeClaims.plural)});
  // The index is updated before the key is queued: a worker sees what the cache sees.
  auto on_volume = [this](const nlohmann::json& pv) {
    // Neither ours nor NFS (a compact record): nothing for the index (it holds NFS
    // directories) nor for a worker to do, ever, as for another provisioner's claims.
    if (pv.contains("compact")) return;
    directories.volume_seen(pv);
    enqueue(volume_key(object_name(pv)));
  };
  volumes.set_handlers(
      {on_volume, [on_volume](const nlohmann::json&, const nlohmann::json& now) { on_volume(now); },
       [this](const nlohmann::json& pv) {
         directories.volume_gone(object_name(pv));
         refusals.forget(volume_key(object_name(pv)));
       },
       on_error(kube::kPersistentVolumes.plural)});
  // A class appearing or changing may make waiting or refused claims (and volumes) workable.
  auto on_class = [this](const nlohmann::json& sc) { enqueue_class_members(object_name(sc)); };
  classes.set_handlers(
      {on_class,
       [on_class](const nlohmann::json&, const nlohmann::json& now) { on_class(now); },
       {},
       on_error(kube::kStorageClasses.plural)});
}

void Controller::Impl::enqueue_class_members(const std::string& class_name) {
  const auto sc = classes.get(class_name);
  const bool ours = sc && core::string_field(*sc, "provisioner") == options.provisioner_name;
  bool compact = false;
  claims.visit([&](std::string_view key, std::string_view record) {
    if (core::record_class(record) != class_name) return;
    // A compact record of a class that names us now comes whole with the relist below, and
    // its key with it. Queued now, its worker would find it still compact and ask for a
    // relist of its own: two lists where one does.
    if (ours && core::compact_for_class(record)) {
      compact = true;
      return;
    }
    queue.add(claim_key(key));
  });
  // Claims kept compact while their class was another provisioner's (deleted and made again
  // as ours, say) are needed whole now: the relist brings them, and their keys again.
  if (ours && compact) claims.request_relist();
  volumes.visit([&](std::string_view key, std::string_view pv) {
    if (!core::is_compact_volume(pv) && core::volume_record_class(pv) == class_name)
      queue.add(volume_key(key));
  });
  // Once for them all, outside the caches' locks, as resync does.
  workers.add_worker_if_needed();
}

std::vector<nfs::ExportAddress> Controller::Impl::our_exports() {
  const core::ProvisionerDefaults defaults = defaults_of(options);
  std::vector<nfs::ExportAddress> exports;
  const auto add = [&](const nfs::ExportAddress& address) {
    if (address.server.empty() || address.export_path.empty()) return;
    for (const auto& known : exports)
      if (known.key() == address.key()) return;
    exports.push_back(address);
  };
  add(options.default_export);
  for (const auto& sc : classes.list()) {
    if (core::string_field(sc, "provisioner") != options.provisioner_name) continue;
    const auto address = core::class_export(&sc, defaults);
    if (const auto* found = std::get_if<nfs::ExportAddress>(&address)) add(*found);
  }
  return exports;
}

void Controller::Impl::refresh_usage() {
  for (const auto& address : our_exports())
    usage.get(address, [&] {
      return export_pools.get(address).with_client(
          stopping.get_token(), [](nfs::ExportClient& client) { return client.usage(); });
    });
}

bool Controller::Impl::sweep_orphans() {
  const auto exports = our_exports();
  return OrphanSweeper(context()).sweep(exports, [this] { return live_names(); });
}

core::LiveNames Controller::Impl::live_names() const {
  core::LiveNames live;
  volumes.visit([&](std::string_view key, std::string_view) { live.volumes.emplace(key); });
  claims.visit([&](std::string_view, std::string_view record) {
    live.claimed.insert(core::record_volume_name(record));
  });
  return live;
}

void Controller::Impl::expire_archives() {
  const core::ProvisionerDefaults defaults = defaults_of(options);
  // Each export's classes' retentions; a class whose value is refused keeps its archives.
  struct ExportClasses {
    nfs::ExportAddress address;
    std::vector<std::optional<std::chrono::seconds>> retentions;
  };
  std::map<std::string, ExportClasses> by_export;
  for (const auto& sc : classes.list()) {
    if (core::string_field(sc, "provisioner") != options.provisioner_name) continue;
    const auto address = core::class_export(&sc, defaults);
    const auto* found = std::get_if<nfs::ExportAddress>(&address);
    if (!found || found->server.empty()) continue;
    const auto retention = core::archive_retention(&sc);
    const auto* age = std::get_if<std::optional<std::chrono::seconds>>(&retention);
    if (const auto* refusal = std::get_if<core::Refusal>(&retention))
      logger.warn("archives kept",
                  {{"class", core::string_field(core::field(sc, "metadata"), "name")},
                   {"why", refusal->message}});
    by_export.try_emplace(found->key(), ExportClasses{*found, {}})
        .first->second.retentions.push_back(age ? *age : std::nullopt);
  }
  std::vector<ExportRetention> targets;
  for (const auto& [key, entry] : by_export)
    if (const auto retention = core::export_retention(entry.retentions))
      targets.push_back({entry.address, *retention});
  if (targets.empty()) return;
  ArchiveExpirer(context()).expire(targets, whole_volumes(), live_names());
}

void Controller::Impl::for_each_whole_volume(
    const std::function<void(nlohmann::json)>& each) const {
  // Copied under the cache's lock, made objects outside it one at a time: a pass over
  // thousands neither holds up the watch nor holds thousands of objects.
  std::vector<std::string> records;
  volumes.visit([&](std::string_view, std::string_view record) {
    if (!core::is_compact_volume(record)) records.emplace_back(record);
  });
  for (const auto& record : records) each(core::load_record(record));
}

nlohmann::json Controller::Impl::whole_volumes() const {
  nlohmann::json out = nlohmann::json::array();
  for_each_whole_volume([&](nlohmann::json pv) { out.push_back(std::move(pv)); });
  return out;
}

void Controller::Impl::measure_volumes(std::stop_token stop) {
  volume_meter.measure([this](const auto& each) { for_each_whole_volume(each); }, caches(),
                       std::move(stop));
}

void Controller::Impl::resync() {
  // Another provisioner's claims have nothing for us to re-check.
  claims.visit([&](std::string_view key, std::string_view record) {
    if (!core::is_compact(record)) queue.add(claim_key(key));
  });
  // Nor their volumes (volume_record: neither ours nor NFS).
  volumes.visit([&](std::string_view key, std::string_view record) {
    if (!core::is_compact_volume(record)) queue.add(volume_key(key));
  });
  workers.add_worker_if_needed();
}

void Controller::Impl::report_stats() {
  observer.informer_stats(kube::kPersistentVolumeClaims.plural, claims.stats());
  observer.informer_stats(kube::kPersistentVolumes.plural, volumes.stats());
  observer.informer_stats(kube::kStorageClasses.plural, classes.stats());
  observer.queue_depth(queue.len() + queue.delayed_len());
}

StepResult Controller::Impl::process(const std::string& key) {
  const auto work = WorkKey::parse(key);
  if (!work) return StepResult::done;
  if (work->kind == WorkKind::claim) {
    const auto claim = claims.get(work->cache_key);
    if (!claim) return StepResult::done;  // deleted: its PV (if any) is the volume key's job
    const auto storage_class = classes.get(core::claim_class_name(*claim));
    if (claim->contains("compact")) {
      // Another provisioner's, as far as the cache knew. If its class names us now (made again
      // as ours), the whole claim comes with the relist, and this key again; if it was handed
      // to another provisioner, it stays that one's.
      if (storage_class && !core::annotation_of(*claim, core::kStorageProvisionerAnnotation) &&
          !core::annotation_of(*claim, core::kBetaStorageProvisionerAnnotation) &&
          core::string_field(*storage_class, "provisioner") == options.provisioner_name)
        claims.request_relist();
      return StepResult::done;
    }
    // A bound claim is the provisioner's no more; a raised request makes it the resizer's
    // (kube-controller-manager hands in-tree nfs volumes to "an external controller").
    if (const std::string volume = core::string_field(core::field(*claim, "spec"), "volumeName");
        !volume.empty()) {
      const auto pv = volumes.get(volume);
      return expander.expand(key, *claim, pv ? &*pv : nullptr,
                             storage_class ? &*storage_class : nullptr);
    }
    return provisioner.provision(key, *claim, storage_class ? &*storage_class : nullptr, caches());
  }
  const auto pv = volumes.get(work->cache_key);
  if (!pv) return StepResult::done;
  const std::string class_name = volume_class(*pv);
  const auto storage_class = class_name.empty() ? std::nullopt : classes.get(class_name);
  return reclaimer.reclaim(key, *pv, storage_class ? &*storage_class : nullptr);
}

Controller::Controller(kube::ApiClient& client, nfs::ExportPools& pools, ControllerOptions options,
                       log::Logger& logger, ControllerObserver* observer,
                       kube::ApiClient* event_client)
    : impl_(std::make_unique<Impl>(client, pools, std::move(options), logger, observer,
                                   event_client)) {}

Controller::~Controller() = default;

bool Controller::synced() const {
  return impl_->claims.synced() && impl_->volumes.synced() && impl_->classes.synced();
}

bool Controller::api_ok() const {
  return !impl_->claims.failing() && !impl_->volumes.failing() && !impl_->classes.failing();
}

std::vector<Stall> Controller::stalls(std::chrono::steady_clock::time_point now) const {
  using Clock = std::chrono::steady_clock;
  std::vector<Stall> found;
  const Clock::duration step_limit = impl_->options.stall_limit;
  for (const BusyStep& step : impl_->workers.busy_steps()) {
    const auto took = now - step.since;
    if (took <= step_limit) continue;
    found.push_back(
        {"worker " + std::to_string(step.worker + 1) + " on " + step.key, took, step_limit});
  }
  const Clock::duration silence_limit =
      std::max<Clock::duration>(impl_->options.stall_limit, kInformerSilence);
  for (const kube::Informer* informer : {&impl_->claims, &impl_->volumes, &impl_->classes}) {
    const auto silent = now - informer->last_progress();
    if (silent > silence_limit)
      found.push_back({"informer " + informer->resource_name(), silent, silence_limit});
  }
  return found;
}

void Controller::run(std::stop_token stop) {
  Impl& self = *impl_;
  if (std::exchange(self.ran, true)) throw std::logic_error("Controller::run called twice");
  // A stop cancels the NFS calls under way: the workers, the sweeps and the usage threads
  // are joined below without waiting out a frozen server's timeout.
  const std::stop_callback cancel_calls(stop, [&self] { self.stopping.request_stop(); });

  self.logger.info("controller starting",
                   {{"provisioner", self.options.provisioner_name},
                    {"workers", self.options.workers},
                    {"default_export", self.options.default_export.display()}});
  {
    // Declared in start order; destroyed (stopped and joined) in reverse.
    std::jthread class_thread([&self](std::stop_token st) { self.classes.run(st); });
    std::jthread volume_thread([&self](std::stop_token st) { self.volumes.run(st); });
    // Claims once the classes are known: a claim of another provisioner's class is then kept
    // as a compact record from the first list on (cache_records.h).
    while (!stop.stop_requested() && !self.classes.synced())
      base::sleep_for(stop, std::chrono::milliseconds(5));
    std::jthread claim_thread([&self](std::stop_token st) { self.claims.run(st); });

    // Workers start on full caches, so a PV that exists is seen before its claim is worked.
    while (!stop.stop_requested() && !synced())
      base::sleep_for(stop, std::chrono::milliseconds(20));
    if (!stop.stop_requested())
      self.logger.info("caches synced, starting workers", {{"queued", self.queue.len()}});

    // What a crash left for claims deleted meanwhile, beside the workers (an export that does
    // not answer must not delay them).
    std::atomic<bool> sweep_done{true};
    std::jthread sweep;
    // One sweep at a time: a new one starts only once the last has finished. An export that
    // did not answer (a busy server) is tried again within seconds, with back-off, not at the
    // next resync minutes away: its records are what a crash left.
    const auto start_sweep = [&self, &sweep, &sweep_done] {
      if (!sweep_done) return;
      if (sweep.joinable()) sweep.join();
      sweep_done = false;
      sweep = std::jthread([&self, &sweep_done](std::stop_token st) {
        for (std::chrono::seconds wait{1}; !self.sweep_orphans() && !st.stop_requested();
             wait = std::min<std::chrono::seconds>(wait * 2, std::chrono::seconds(30)))
          base::sleep_for(st, wait);
        if (!st.stop_requested()) self.expire_archives();
        ++self.passes;
        sweep_done = true;
      });
    };
    if (!stop.stop_requested()) start_sweep();

    // Export usage on its own thread, on a bounded schedule: a frozen export delays only it.
    std::jthread usage_thread;
    if (!stop.stop_requested())
      usage_thread = std::jthread([&self](std::stop_token st) {
        while (!st.stop_requested()) {
          self.refresh_usage();
          base::sleep_for(st, kUsageInterval);
        }
      });

    // Volume usage walks: one at a time, paced, on a thread of their own.
    std::jthread volume_usage_thread;
    if (!stop.stop_requested() && self.options.usage_interval.count() > 0)
      volume_usage_thread = std::jthread([&self](std::stop_token st) {
        while (!st.stop_requested()) {
          self.measure_volumes(st);
          ++self.passes;
          base::sleep_for(st, self.options.usage_interval);
        }
      });

    if (!stop.stop_requested()) self.workers.start();

    auto next_resync = std::chrono::steady_clock::now() + self.options.resync;
    std::uint64_t done_at_idle = 0;
    while (!stop.stop_requested()) {
      base::sleep_for(stop, kStatsInterval < self.options.resync || self.options.resync.count() <= 0
                                ? std::chrono::steady_clock::duration(kStatsInterval)
                                : std::chrono::steady_clock::duration(self.options.resync));
      if (stop.stop_requested()) break;
      self.report_stats();
      if (const auto done = self.workers.worked() + self.passes.load();
          self.options.on_idle && done != done_at_idle && self.queue.len() == 0) {
        done_at_idle = done;
        self.options.on_idle();
      }
      if (self.options.resync.count() > 0 && std::chrono::steady_clock::now() >= next_resync) {
        self.resync();
        // Records a leader left when it stopped right after a PV's create, and orphans whose
        // export did not answer at the start: swept again.
        start_sweep();
        next_resync = std::chrono::steady_clock::now() + self.options.resync;
      }
    }
    // In-flight steps end (their NFS calls cancelled, their API calls bounded by the API
    // timeouts); waiting keys are abandoned: they are rebuilt from the caches on the next start.
    self.queue.shut_down();
    self.workers.close_and_join();
    // A copy under way stops at its next chunk; the next leader starts it again.
    self.clones.stop();
  }
  self.logger.info("controller stopped");
}

}  // namespace nfsprov::controller
