// One released volume of ours -> its directory deleted, archived or kept as the class says,
// then our finalizer removed and the PV deleted. PVs we did not provision, and PVs whose path
// lies outside their export, are never touched. Safe to repeat at any point: a missing
// directory is success, an archive is never overwritten, a PV already gone is success.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "provisioner/controller/work_context.h"
#include "provisioner/core/deletion_planner.h"

namespace nfsprov::controller {

class VolumeReclaimer {
 public:
  VolumeReclaimer(WorkContext context, core::DeletionPlanner planner);

  // pv and storage_class come from the informers' caches (storage_class nullptr when the
  // PV's class no longer exists).
  StepResult reclaim(const std::string& key, const nlohmann::json& pv,
                     const nlohmann::json* storage_class);

 private:
  // Leadership ended (the fence closed) mid-step: stop without a trace on the volume.
  StepResult abandon(const std::string& pv_name);
  // Returns a note for the log ("archived to x", "directory was already gone").
  std::string act_on_directory(const core::DeletionPlan& plan);
  // Drops our finalizer from the PV (PUT of the cached object with its resourceVersion; after
  // a conflict once more from a fresh GET), and with mark_reclaimed sets kReclaimedAnnotation
  // in the same write. A PV already gone is fine.
  void remove_finalizer(const nlohmann::json& cached, bool mark_reclaimed = false);
  void delete_volume(const std::string& pv_name, const std::string& uid);

  WorkContext ctx_;
  core::DeletionPlanner planner_;
};

}  // namespace nfsprov::controller
