// What a worker step needs from the controller: the API, the volume store, events, logs, metrics.
// The two kinds of I/O are interfaces (kube::KubeApi, nfs::VolumeStore): the unit tests give
// every step in-memory ones.
#pragma once

#include <cerrno>
#include <exception>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include <nlohmann/json.hpp>

#include "nfs/nfs_error.h"
#include "nfs/volume_store.h"
#include "provisioner/controller/controller.h"
#include "provisioner/controller/controller_observer.h"
#include "provisioner/controller/event_recorder.h"
#include "provisioner/controller/export_usage_cache.h"
#include "provisioner/controller/refusal_memory.h"
#include "provisioner/core/directory_index.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/kube_api.h"
#include "provisioner/log/log.h"

namespace nfsprov::controller {

struct WorkContext {
  kube::KubeApi& api;
  nfs::VolumeStore& volumes;
  EventRecorder& events;
  log::Logger& logger;
  ControllerObserver& observer;
  RefusalMemory& refusals;
  // Which directory each PV uses: no overlapping volumes, no deletion under another's feet.
  core::DirectoryIndex& directories;
  const ControllerOptions& options;
  // Free space per export, for the classes' capacityPolicy.
  ExportUsageCache& usage;
  // Requested when the controller stops: every volumes.with_export(address, stop, ...) then
  // ends at once (ECANCELED), a frozen server's timeout is not waited out.
  std::stop_token stop = {};

  // False once this replica may no longer lead (ControllerOptions::fence), or is stopping: a
  // step then leaves its key to the next leader, with no Warning about it.
  bool may_act() const {
    return !stop.stop_requested() && (!options.fence || options.fence->open());
  }
};

// The error of a call a stop gave up on: an NFS call's ECANCELED (WorkContext::stop, or the
// write fence), an API call's cancelled (the process's shutdown, which may reach the API
// client before the controller's stop). A step then leaves its key to the next leader, with
// no Warning: nothing went wrong.
inline bool stopped_by(const std::exception& e) {
  if (const auto* nfs = dynamic_cast<const nfs::NfsError*>(&e))
    return nfs->error_number() == ECANCELED;
  const auto* api = dynamic_cast<const kube::ApiError*>(&e);
  return api && api->kind() == kube::ApiErrorKind::cancelled;
}

// Lookups in the informers' caches, for a step that needs more than its own object.
struct CacheView {
  std::function<std::optional<nlohmann::json>(const std::string& namespace_name)> claim;
  std::function<std::optional<nlohmann::json>(const std::string& name)> volume;
  std::function<std::optional<nlohmann::json>(const std::string& name)> storage_class;
};

// What the worker does with the key afterwards.
enum class StepResult {
  done,   // handled (or nothing to do): forget the key's back-off
  retry,  // failed, or abandoned when leadership ended: back to the queue with back-off
};

}  // namespace nfsprov::controller
