// One claim -> a directory on its export and a pre-bound PersistentVolume. Safe to repeat at
// any point: the PV name (pvc-<claim uid>) and the directory are deterministic, mkdir of an
// existing directory succeeds, and creating an existing PV is the "already done" answer.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "provisioner/controller/clone_runner.h"
#include "provisioner/controller/work_context.h"
#include "provisioner/core/clone_source.h"
#include "provisioner/core/volume_planner.h"

namespace nfsprov::controller {

class ClaimProvisioner {
 public:
  // clones copies the data of cloned claims (spec.dataSource) before their PV is made.
  ClaimProvisioner(WorkContext context, core::VolumePlanner planner, CloneRunner& clones);

  // claim and storage_class come from the informers' caches (storage_class nullptr when the
  // claim's class is not known); caches has the PVs (and a clone's source claim and class).
  StepResult provision(const std::string& key, const nlohmann::json& claim,
                       const nlohmann::json* storage_class, const CacheView& caches);

 private:
  // The volume's directory, made only if it does not exist yet (or by an earlier try of this
  // claim, as its record shows); a refusal when it exists and is not this claim's.
  // A clone's directory may hold what an interrupted copy left (a copy resumes).
  std::optional<core::Refusal> make_directory(nfs::ExportFiles& client,
                                              const core::VolumePlan& plan,
                                              const std::string& class_name);
  // A clone's source from the caches; a refusal when it cannot be (or not yet) cloned.
  core::Outcome<core::CloneSource> clone_source(const nlohmann::json& claim,
                                                const core::VolumePlan& plan,
                                                const CacheView& caches);
  // The claim's request against the export's free space (cached, refreshed at most every
  // 30 s), as the class's capacityPolicy judges it.
  core::CapacityVerdict check_capacity(nfs::ExportFiles& client, const core::VolumePlan& plan);
  // Whether the API has PV pv_name (a GET: the cache may lag behind another replica).
  bool volume_exists(const std::string& pv_name);
  // Drops the volume record once the PV exists (nfs/volume_records.h).
  void forget_record(const core::VolumePlan& plan);
  // Leadership ended (the fence closed) mid-step: stop without a trace on the claim.
  StepResult abandon(const std::string& claim_name);
  // False when the PV already existed. source: the claim a clone copied.
  bool create_volume(const core::VolumePlan& plan, const core::CloneSource* source);

  WorkContext ctx_;
  core::VolumePlanner planner_;
  CloneRunner& clones_;
};

}  // namespace nfsprov::controller
