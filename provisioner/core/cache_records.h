// What the informers keep of each object, in the spirit of client-go's transform functions:
// a cluster of 50,000 claims, most of them another provisioner's, must fit a Raspberry Pi.
// Pure.
//
// Every object loses metadata.managedFields and kubectl's last-applied-configuration
// annotation: often most of an object, and read by nothing here. A claim another provisioner
// serves — handed to it by kube-controller-manager (volume.kubernetes.io/storage-provisioner),
// or of a class known to name another provisioner — is kept as a compact record instead: a
// JSON array of the few fields that tell it apart (see expand_claim), a fraction of the size.
// Claims of ours and every PersistentVolume are kept packed (packed_object.h): the whole
// object, in one string of a few hundred bytes instead of a tree of kilobytes. load_record
// gives any record back as the object the controller reads.
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
nlohmann::json claim_record(nlohmann::json claim, std::string_view provisioner_name,
                            const ClassProvisioner& class_provisioner);

// A PersistentVolume, trimmed and packed.
nlohmann::json volume_record(nlohmann::json volume);

// The object again from any record: a compact claim expanded (expand_claim), a packed
// object unpacked, anything else as it is.
nlohmann::json load_record(const nlohmann::json& record);

// True for a compact record.
bool is_compact(const nlohmann::json& record);
// True for a compact record kept so for its class alone (not handed to another provisioner):
// one that must become whole if its class is made again naming us.
bool compact_for_class(const nlohmann::json& record);

// The claim again from a record: a compact one gives metadata {name, namespace, uid,
// resourceVersion, deletionTimestamp, the storage-provisioner annotations}, spec
// {storageClassName, volumeName} and status {phase}, and "compact": true, so code that needs
// more of it can tell; anything else is returned as it is.
nlohmann::json expand_claim(const nlohmann::json& record);

// From a claim record (without expanding a compact one): its class (spec.storageClassName, else the
// legacy annotation) and the name its PV has or will have ("pvc-<uid>").
std::string record_class(const nlohmann::json& record);
std::string record_volume_name(const nlohmann::json& record);
// From a volume record: its class (spec.storageClassName).
std::string volume_record_class(const nlohmann::json& record);

}  // namespace nfsprov::core
