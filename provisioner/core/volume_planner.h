// VolumePlanner: from a claim and its StorageClass (JSON exactly as the API returns them) to
// what must be created: the directory on which export, with which mode and owner, and the PV.
// Pure: no I/O. The controller creates the directory, then the PV.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "nfs/values/export_address.h"
#include "nfs/values/files.h"
#include "provisioner/core/capacity_policy.h"
#include "provisioner/core/class_export.h"
#include "provisioner/core/refusal.h"

namespace nfsprov::core {

struct VolumePlan {
  std::string pv_name;                // "pvc-<claim uid>"
  std::string directory;              // relative to export_address.export_path, clean
  nfs::ExportAddress export_address;  // where the directory goes
  nfs::CreateOptions create_options;  // mode, and owner only when asked for
  nlohmann::json pv;                  // the PersistentVolume to POST
  std::uint64_t request_bytes = 0;    // the claim's storage request
  std::string request;                // ... as the claim wrote it
  CapacityPolicy capacity_policy = CapacityPolicy::warn;  // class parameter capacityPolicy
  // spec.dataSource: the claim (same namespace) whose data the new volume starts with.
  std::optional<std::string> clone_of = std::nullopt;
};

// Refusals (reason): claim spec.selector set ("UnsupportedSelector": "claim Selector is not
// supported"), volumeMode Block ("UnsupportedVolumeMode"), a dataSource or dataSourceRef other
// than a claim of the same namespace ("UnsupportedDataSource", see clone_source.h),
// missing/unparsable/zero storage request ("InvalidStorageRequest"), missing namespace/name/uid
// ("InvalidClaim"), a bad class parameter ("InvalidParameter"), a bad capacityPolicy
// ("InvalidParameter"), a bad nfs.io/create* annotation ("InvalidAnnotation"), a pathPattern or
// default name that is not a safe relative path ("InvalidPath").
//
// Directory mode 0777 by default (as nfs-subdir); owner: unchanged (no chown) unless asked for,
// which is 0:0 on a no_root_squash export as in nfs-subdir, and works on root_squash. Class
// parameters mountPermissions (octal, <= 07777), uid, gid (decimal, 0..4294967295) set class
// defaults; claim annotations nfs.io/createMode (octal, "0750" or "750"), nfs.io/createUID,
// nfs.io/createGID win over them. Invalid values are refused, never silently replaced.
//
// The PV: metadata {name, annotations {provisioned-by: <provisioner name>,
// nfs-provisioner.io/share: <export path>, nfs-provisioner.io/{nfs,mount}-port when non-zero},
// finalizers [external-provisioner.volume.kubernetes.io/finalizer]}; spec {capacity.storage =
// the claim's request string, accessModes = the claim's, persistentVolumeReclaimPolicy = class
// reclaimPolicy (default Delete), storageClassName, mountOptions (only when the class has
// some), volumeMode Filesystem, nfs {server, path = <share>/<directory>, readOnly false},
// claimRef {kind, apiVersion, namespace, name, uid, resourceVersion}}.
class VolumePlanner {
 public:
  explicit VolumePlanner(ProvisionerDefaults defaults);

  // storage_class is the claim's class (the ClaimFilter has said `ready`).
  Outcome<VolumePlan> plan(const nlohmann::json& claim, const nlohmann::json& storage_class) const;

  const ProvisionerDefaults& defaults() const { return defaults_; }

 private:
  ProvisionerDefaults defaults_;
};

}  // namespace nfsprov::core
