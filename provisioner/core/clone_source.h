// Cloning: which claim a new claim asks to copy (spec.dataSource), and where that claim's data
// lies. Pure: the caches' objects in, a source or a refusal out.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "provisioner/core/class_export.h"
#include "provisioner/core/deletion_planner.h"
#include "provisioner/core/refusal.h"

namespace nfsprov::core {

// The reason of the refusals that last only until the source is ready: the claim is tried
// again, with back-off, rather than left until it changes.
inline constexpr const char* kCloneSourceNotReady = "CloneSourceNotReady";

// The name of the claim, in the claim's own namespace, that claim clones; nullopt when it has
// no dataSource and no dataSourceRef. Refused ("UnsupportedDataSource"): any kind but a core
// PersistentVolumeClaim (snapshots, volume populators), a dataSourceRef in another namespace,
// or one that names something else than dataSource does.
Outcome<std::optional<std::string>> clone_source_name(const nlohmann::json& claim);

struct CloneSource {
  std::string claim;    // "<namespace>/<name>"
  std::string pv_name;  // its volume
  VolumeLocation location;
};

// The source of claim (which requests request_bytes), from the caches: source_claim and its
// volume source_pv and class source_class (nullptr when the cache has none).
// Refusals: kCloneSourceNotReady (the source claim does not exist, is not Bound yet, or is
// being deleted); "CloneSourceNotOurs" (its volume was not provisioned by provisioner_name, or
// is not an NFS directory of ours); "CloneRequestTooSmall" (the clone requests less than the
// source does, which Kubernetes forbids); volume_location's refusals.
Outcome<CloneSource> resolve_clone_source(const nlohmann::json& claim, std::uint64_t request_bytes,
                                          const nlohmann::json* source_claim,
                                          const nlohmann::json* source_pv,
                                          const nlohmann::json* source_class,
                                          const ProvisionerDefaults& defaults);

}  // namespace nfsprov::core
