// The annotation and finalizer names the provisioner reads and writes on API objects, in one
// place (StorageClass parameter names: class_parameters.h).
#pragma once

#include <string_view>

namespace nfsprov::core {

// Written by us on every PV. The library's convention, and what says a PV is ours.
inline constexpr std::string_view kProvisionedBy = "pv.kubernetes.io/provisioned-by";
// The export path the PV's directory lives under, so deletion knows which part of
// spec.nfs.path is the share even after the class or the defaults changed.
inline constexpr std::string_view kShareAnnotation = "nfs-provisioner.io/share";
// Written only when non-zero: ports of a server without a portmapper, for deletion.
inline constexpr std::string_view kNfsPortAnnotation = "nfs-provisioner.io/nfs-port";
inline constexpr std::string_view kMountPortAnnotation = "nfs-provisioner.io/mount-port";
// On the PV of a clone: "<namespace>/<claim>" whose data it was copied from.
inline constexpr std::string_view kClonedFromAnnotation = "nfs-provisioner.io/cloned-from";
// Written with the removal of our finalizer, once the directory was archived, deleted or
// kept: what is left to do is only the PV object's delete. The informer delivers the PV
// again after each of our writes (and the real pv-protection finalizer keeps it a while),
// and without this mark each delivery redid the directory step and counted the volume again.
inline constexpr std::string_view kReclaimedAnnotation = "nfs-provisioner.io/reclaimed";
inline constexpr std::string_view kProvisionerFinalizer =
    "external-provisioner.volume.kubernetes.io/finalizer";

// Read on claims.
inline constexpr std::string_view kLegacyClassAnnotation =
    "volume.beta.kubernetes.io/storage-class";
inline constexpr std::string_view kSelectedNodeAnnotation = "volume.kubernetes.io/selected-node";
// Set by kube-controller-manager's PV controller when no existing volume fits the claim and it
// hands the claim to the class's provisioner (the beta name is the older, still written twin).
inline constexpr std::string_view kStorageProvisionerAnnotation =
    "volume.kubernetes.io/storage-provisioner";
inline constexpr std::string_view kBetaStorageProvisionerAnnotation =
    "volume.beta.kubernetes.io/storage-provisioner";
inline constexpr std::string_view kCreateModeAnnotation = "nfs.io/createMode";
inline constexpr std::string_view kCreateUidAnnotation = "nfs.io/createUID";
inline constexpr std::string_view kCreateGidAnnotation = "nfs.io/createGID";

}  // namespace nfsprov::core
