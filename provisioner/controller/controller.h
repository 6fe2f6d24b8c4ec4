// Controller: watches claims, volumes and classes, and turns claims of our classes into
// directories on NFS plus pre-bound PersistentVolumes, and released volumes back into
// deleted, archived or retained directories.
// Informers only enqueue keys ("claim/<ns>/<name>", "volume/<name>"); workers take a key,
// act on the cached object, and retry failures with per-key exponential back-off. Every step
// is idempotent (PV name pvc-<claim uid>, deterministic directory) so a restart, a crash
// between mkdir and PV create, or a second replica duplicates nothing.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "nfs/export_pool.h"
#include "nfs/values/export_address.h"
#include "provisioner/base/defaults.h"
#include "provisioner/controller/controller_observer.h"
#include "provisioner/controller/lease_fence.h"
#include "provisioner/core/class_export.h"
#include "provisioner/kube/api_client.h"
#include "provisioner/log/log.h"

namespace nfsprov::controller {

struct ControllerOptions {
  std::string provisioner_name;       // the StorageClass.provisioner we serve (PROVISIONER_NAME)
  nfs::ExportAddress default_export;  // NFS_SERVER / NFS_PATH (+ ports, identity, timeout)
  // At most this many keys worked at once (base/defaults.h says how workers come and go).
  int workers = base::defaults::kWorkers;
  // Every cached claim and volume is re-enqueued this often (0 = never).
  std::chrono::seconds resync{300};
  // Per-key retry back-off after a failure: base * 2^failures, capped at max.
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(5)};
  // Add external-provisioner.volume.kubernetes.io/finalizer to the PVs we create, so a PV
  // object cannot vanish before its directory was dealt with.
  bool add_finalizer = true;
  // With leader election: the elector's fence. A step that finds it closed stops where it is,
  // silently (no Event, no undo): another replica may lead and own the claim by now. It must
  // outlive the controller. nullptr: always open.
  const LeaseFence* fence = nullptr;
  // Liveness: a worker in one step for longer than this looks wedged (every NFS and API call
  // has a timeout, so a healthy step never comes close), and so does an informer silent for
  // longer than this or kInformerSilence, whichever is longer.
  std::chrono::milliseconds stall_limit{std::chrono::minutes(10)};
  // How often a clone's copy says how far it got, in an Event on the claim.
  std::chrono::milliseconds clone_progress_interval{std::chrono::seconds(30)};
  // Volume usage (VolumeUsageMeter): a pass over every Bound volume of ours this often (0:
  // never), each walk making at most this many NFS calls per second (0: no cap).
  std::chrono::milliseconds usage_interval{std::chrono::hours(1)};
  double usage_ops_per_second = 100;
  // Called on the controller's thread, at most every few seconds, once keys were worked or a
  // background pass (orphan sweep, usage walk) ended and no key waits any more (a burst is
  // over): main gives the memory the burst freed back to the system (base/heap.h). Empty:
  // nothing.
  std::function<void()> on_idle;
};

// The defaults the pure planners fall back to, from the options: PROVISIONER_NAME and the
// default export.
inline core::ProvisionerDefaults defaults_of(const ControllerOptions& options) {
  return core::ProvisionerDefaults{options.provisioner_name, options.default_export};
}

// A watch ends after 300 s (plus a 30 s read timeout) and a failed one is retried within 30 s:
// an informer silent for twice the watch timeout is not just waiting.
inline constexpr std::chrono::minutes kInformerSilence{10};

// A loop of the controller that looks wedged (Controller::stalls).
struct Stall {
  std::string loop;  // "worker 2 on claim/default/data", "informer persistentvolumeclaims"
  std::chrono::steady_clock::duration stalled_for{};
  std::chrono::steady_clock::duration allowed{};
};

class Controller {
 public:
  // client, pools, logger, observer and event_client must outlive the controller.
  // event_client (default: client) posts the Events: a client of its own keeps its own rate
  // limit, so the two advisory Events per claim do not take API tokens from provisioning.
  Controller(kube::ApiClient& client, nfs::ExportPools& pools, ControllerOptions options,
             log::Logger& logger, ControllerObserver* observer = nullptr,
             kube::ApiClient* event_client = nullptr);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Starts informers for claims, volumes and classes and the workers; blocks until stop is
  // requested. Then stops taking new keys, lets in-flight work finish (each step is safe to
  // abandon and redo), joins every thread and returns. May be called once.
  void run(std::stop_token stop);

  // True once all three informers have listed (readiness).
  bool synced() const;
  // False while an informer's last list or watch failed (readiness: API unreachable or 403).
  bool api_ok() const;
  // Liveness, judged at now: the workers stuck in a step and the informers without progress
  // for longer than allowed (ControllerOptions::stall_limit). Empty: all is well. Idle workers
  // waiting for work are well.
  std::vector<Stall> stalls(std::chrono::steady_clock::time_point now) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nfsprov::controller
