// One Bound claim of ours whose request grew -> its PV's spec.capacity raised, then the claim's
// status.capacity, as an external resizer does it (kube-controller-manager only says
// "waiting for an external controller to expand this PVC" for an in-tree nfs volume). On NFS
// the size is a promise, not a quota: nothing on the export changes, only the two objects.
// Safe to repeat at any point: each write is conditional on the resourceVersion it was
// derived from (a stale cache gets a 409 and a retry, never a smaller value), and a PV that is
// already big enough only has the claim finished.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "provisioner/controller/work_context.h"
#include "provisioner/core/capacity_policy.h"

namespace nfsprov::controller {

class ClaimExpander {
 public:
  explicit ClaimExpander(WorkContext context);

  // claim, pv and storage_class come from the informers' caches (pv and storage_class nullptr
  // when not cached). Done when there is nothing to grow.
  StepResult expand(const std::string& key, const nlohmann::json& claim, const nlohmann::json* pv,
                    const nlohmann::json* storage_class);

 private:
  // What growing pv to size adds, against its export's free space (cached, at most 30 s old),
  // as the class's capacityPolicy judges it.
  core::CapacityVerdict check_growth(const nlohmann::json& pv, const nlohmann::json* storage_class,
                                     const std::string& size);

  WorkContext ctx_;
};

}  // namespace nfsprov::controller
