// What the informers keep of each object, in the spirit of client-go's transform functions:
// a cluster of 50,000 claims, most of them another provisioner's, must fit a Raspberry Pi.
// Pure.
//
// Every object loses metadata.managedFields and kubectl's last-applied-configuration
// annotation: often most of an object, and read by nothing here. A claim another provisioner
// serves — handed to it by kube-controller-manager (volume.kubernetes.io/storage-provisioner),
// or of a class known to name another provisioner — is kept as a compact record instead: the
// few fields that tell it apart (see expand_claim) in 60-110 bytes; so is a PersistentVolume
// neither ours nor of NFS (see expand_volume). Claims of ours, the other volumes and every
// StorageClass are kept packed (packed_object.h): the whole object, in one string of a few
// hundred bytes instead of a tree of kilobytes. Every record is
// a string of bytes (what the informer's RecordStore keeps); load_record gives any record
// back as the object the controller reads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace nfsprov::core {

nlohmann::json trimmed(nlohmann::json object);

// The provisioner a class names, nullopt when the class is not known (yet).
using ClassProvisioner = std::function<std::optional<std::string>(const std::string& class_name)>;

// claim, trimmed and packed, or as a compact record when it is served by another provisioner
// than provisioner_name.
std::string claim_record(nlohmann::json claim, std::string_view provisioner_name,
                         const ClassProvisioner& class_provisioner);

// A PersistentVolume, trimmed and packed; as a compact record when it is neither ours (by
// pv.kubernetes.io/provisioned-by) nor an NFS volume: most of a big cluster's volumes are
// another provisioner's, and a CSI volume's attributes and node affinity are read by nothing
// here.
std::string volume_record(nlohmann::json volume, std::string_view provisioner_name);
// Any other object (a StorageClass), trimmed and packed.
std::string object_record(nlohmann::json object);

// The object again from any record these functions made: a compact claim expanded
// (expand_claim), a packed object unpacked. Throws nlohmann::json::exception on other bytes.
nlohmann::json load_record(std::string_view record);

// True for a compact claim record.
bool is_compact(std::string_view record);
// True for a compact volume record.
bool is_compact_volume(std::string_view record);
// True for a compact record kept so for its class alone (not handed to another provisioner):
// one that must become whole if its class is made again naming us.
bool compact_for_class(std::string_view record);

// The claim again from a compact record: metadata {name, namespace, uid, resourceVersion,
// deletionTimestamp, the storage-provisioner annotations}, spec {storageClassName,
// volumeName} and status {phase}, and "compact": true, so code that needs more of it can
// tell. Throws nlohmann::json::exception when record is not compact.
nlohmann::json expand_claim(std::string_view record);

// The volume again from a compact volume record: metadata {name, uid, resourceVersion,
// deletionTimestamp, pv.kubernetes.io/provisioned-by}, spec {storageClassName, claimRef
// {namespace, name, uid}, persistentVolumeReclaimPolicy, capacity.storage}, status {phase}, and
// "compact": true. Throws nlohmann::json::exception on other bytes.
nlohmann::json expand_volume(std::string_view record);

// From a claim record (without expanding a compact one): its class (spec.storageClassName, else the
// legacy annotation) and the name its PV has or will have ("pvc-<uid>").
std::string record_class(std::string_view record);
std::string record_volume_name(std::string_view record);
// From a volume record: its class (spec.storageClassName).
std::string volume_record_class(std::string_view record);

}  // namespace nfsprov::core
