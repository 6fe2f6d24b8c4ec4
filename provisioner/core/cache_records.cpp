#include "provisioner/core/cache_records.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "provisioner/core/annotations.h"
#include "provisioner/core/claim_filter.h"
#include "provisioner/core/field_record.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/packed_object.h"
#include "provisioner/core/uuid_bytes.h"
#include "provisioner/core/volume_identity.h"

namespace nfsprov::core {
namespace {

using nlohmann::json;

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// A compact claim record (field_record.h): this tag (MessagePack's nil, never a packed
// object's first byte nor the first of any JSON text), then the fields in ClaimField order.
// About 60-80 bytes for a claim bound by another provisioner, where its JSON text is over 900.
constexpr char kCompactClaimTag = '\xC0';
// A compact volume record: MessagePack's false, as unused as nil for a first byte.
constexpr char kCompactVolumeTag = '\xC2';

enum ClaimField : std::size_t {
  kName,
  kNamespace,
  kUid,
  kResourceVersion,
  kDeletionTimestamp,
  kProvisioner,      // volume.kubernetes.io/storage-provisioner
  kBetaProvisioner,  // volume.beta.kubernetes.io/storage-provisioner
  kClass,            // spec.storageClassName
  kLegacyClass,      // volume.beta.kubernetes.io/storage-class
  kVolume,
  kPhase,
  kClaimFields
};

// What the fields leave out, since it is told by the others. kube-controller-manager writes
// both provisioner annotations with one value, and a bound claim's volume is "pvc-<uid>".
enum ClaimFlag : std::uint8_t {
  kUidBinary = 1,    // kUid holds the uid's 16 bytes (uuid_bytes)
  kBetaSame = 2,     // the beta annotation is kProvisioner's value (kBetaProvisioner empty)
  kVolumeOfUid = 4,  // the volume is volume_name_for_uid(uid) (kVolume empty)
  kAllClaimFlags = 7
};

// A uid field: 16 bytes when binary, else the text as it came.
std::string uid_text_of(std::string_view field, bool binary) {
  if (!binary) return std::string(field);
  UuidBytes bytes{};
  std::transform(field.begin(), field.end(), bytes.begin(),
                 [](char c) { return static_cast<std::uint8_t>(c); });
  return uuid_text(bytes);
}

// uid as 16 bytes when it is a uuid (and true), else as it is.
bool pack_uid(std::string& uid) {
  const auto bytes = uuid_bytes(uid);
  if (!bytes) return false;
  uid.assign(bytes->begin(), bytes->end());
  return true;
}

struct Compact {
  std::uint8_t flags = 0;
  std::array<std::string_view, kClaimFields> fields;

  std::string uid() const { return uid_text_of(fields[kUid], flags & kUidBinary); }
  std::string_view beta_provisioner() const {
    return flags & kBetaSame ? fields[kProvisioner] : fields[kBetaProvisioner];
  }
  std::string volume() const {
    return flags & kVolumeOfUid ? volume_name_for_uid(uid()) : std::string(fields[kVolume]);
  }
};

// The fields of a compact claim record; nothing for any other bytes.
std::optional<Compact> parse_compact(std::string_view record) {
  Compact compact;
  const auto flags = read_field_record(record, kCompactClaimTag, kAllClaimFlags, compact.fields);
  if (!flags) return std::nullopt;
  compact.flags = *flags;
  if ((compact.flags & kUidBinary) && compact.fields[kUid].size() != UuidBytes().size())
    return std::nullopt;
  return compact;
}

// A PersistentVolume neither of ours nor of NFS: what the controller reads of it (its name
// for the orphan sweep, its class, whose it is, its claim for expansion and clones).
enum VolumeField : std::size_t {
  kVolumeName,
  kVolumeUid,
  kVolumeResourceVersion,
  kVolumeDeletionTimestamp,
  kProvisionedByField,  // pv.kubernetes.io/provisioned-by
  kVolumeClass,         // spec.storageClassName
  kClaimNamespace,      // spec.claimRef
  kClaimName,
  kClaimUid,
  kReclaimPolicy,
  kCapacity,  // spec.capacity.storage
  kVolumePhase,
  kVolumeFields
};

enum VolumeFlag : std::uint8_t {
  kVolumeUidBinary = 1,   // kVolumeUid holds 16 bytes
  kClaimUidBinary = 2,    // kClaimUid holds 16 bytes
  kNameOfClaimUid = 4,    // the name is volume_name_for_uid(claim uid) (kVolumeName empty)
  kProvisionedBySet = 8,  // the annotation is there (an empty value and none differ)
  kAllVolumeFlags = 15
};

// The fields of a compact volume record, its flags first; nothing for any other bytes.
std::optional<std::pair<std::uint8_t, std::array<std::string_view, kVolumeFields>>> parse_volume(
    std::string_view record) {
  std::array<std::string_view, kVolumeFields> fields;
  const auto flags = read_field_record(record, kCompactVolumeTag, kAllVolumeFlags, fields);
  if (!flags) return std::nullopt;
  for (const auto& [flag, field] :
       {std::pair{kVolumeUidBinary, kVolumeUid}, std::pair{kClaimUidBinary, kClaimUid}})
    if ((*flags & flag) && fields[field].size() != UuidBytes().size()) return std::nullopt;
  return std::pair{*flags, fields};
}

// The compact record of a volume, or nothing when it must be kept whole: ours, an NFS volume
// (a static one's data is data too: the directory index and the audit read it), or a value
// too long.
std::optional<std::string> compact_volume(const json& volume, std::string_view provisioner_name) {
  const json& meta = field(volume, "metadata");
  const json& spec = field(volume, "spec");
  if (!field(spec, "nfs").is_null() || provisioned_by(volume, provisioner_name))
    return std::nullopt;
  // Nothing beyond what expand_volume gives back may be lost: only known scalar shapes.
  if (!meta.is_object() || !spec.is_object()) return std::nullopt;
  const json& claim = field(spec, "claimRef");
  const auto provisioned = annotation_of(volume, kProvisionedBy);
  std::array<std::string, kVolumeFields> values;
  values[kVolumeName] = string_field(meta, "name");
  values[kVolumeUid] = string_field(meta, "uid");
  values[kVolumeResourceVersion] = string_field(meta, "resourceVersion");
  values[kVolumeDeletionTimestamp] = string_field(meta, "deletionTimestamp");
  values[kProvisionedByField] = provisioned.value_or("");
  values[kVolumeClass] = string_field(spec, "storageClassName");
  values[kClaimNamespace] = string_field(claim, "namespace");
  values[kClaimName] = string_field(claim, "name");
  values[kClaimUid] = string_field(claim, "uid");
  values[kReclaimPolicy] = string_field(spec, "persistentVolumeReclaimPolicy");
  values[kCapacity] = string_field(field(spec, "capacity"), "storage");
  values[kVolumePhase] = string_field(field(volume, "status"), "phase");
  std::uint8_t flags = provisioned ? kProvisionedBySet : 0;
  if (!values[kClaimUid].empty() && values[kVolumeName] == volume_name_for_uid(values[kClaimUid])) {
    flags |= kNameOfClaimUid;
    values[kVolumeName].clear();
  }
  if (pack_uid(values[kVolumeUid])) flags |= kVolumeUidBinary;
  if (pack_uid(values[kClaimUid])) flags |= kClaimUidBinary;
  return write_field_record(kCompactVolumeTag, flags, values);
}

std::string handed_to(const json& claim) {
  if (auto who = annotation_of(claim, kStorageProvisionerAnnotation)) return *who;
  return annotation_of(claim, kBetaStorageProvisionerAnnotation).value_or("");
}

// The compact record of a claim, or nothing when a value is too long for one.
std::optional<std::string> compact_record(const json& claim) {
  const json& meta = field(claim, "metadata");
  const json& spec = field(claim, "spec");
  std::array<std::string, kClaimFields> values;
  values[kName] = string_field(meta, "name");
  values[kNamespace] = string_field(meta, "namespace");
  values[kUid] = string_field(meta, "uid");
  values[kResourceVersion] = string_field(meta, "resourceVersion");
  values[kDeletionTimestamp] = string_field(meta, "deletionTimestamp");
  values[kProvisioner] = annotation_of(claim, kStorageProvisionerAnnotation).value_or("");
  values[kBetaProvisioner] = annotation_of(claim, kBetaStorageProvisionerAnnotation).value_or("");
  values[kClass] = string_field(spec, "storageClassName");
  values[kLegacyClass] = annotation_of(claim, kLegacyClassAnnotation).value_or("");
  values[kVolume] = string_field(spec, "volumeName");
  values[kPhase] = string_field(field(claim, "status"), "phase");

  std::uint8_t flags = 0;
  // Only when the annotation is there: an absent one and an empty one differ.
  if (!values[kBetaProvisioner].empty() && values[kBetaProvisioner] == values[kProvisioner]) {
    flags |= kBetaSame;
    values[kBetaProvisioner].clear();
  }
  if (!values[kVolume].empty() && values[kVolume] == volume_name_for_uid(values[kUid])) {
    flags |= kVolumeOfUid;
    values[kVolume].clear();
  }
  if (pack_uid(values[kUid])) flags |= kUidBinary;
  return write_field_record(kCompactClaimTag, flags, values);
}

}  // namespace

json trimmed(json object) {
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    meta->erase("managedFields");
    meta->erase("creationTimestamp");
    if (auto notes = meta->find("annotations"); notes != meta->end() && notes->is_object()) {
      notes->erase(std::string(kLastApplied));
      if (notes->empty()) meta->erase(notes);
    }
  }
  return object;
}

std::string claim_record(json claim, std::string_view provisioner_name,
                         const ClassProvisioner& class_provisioner) {
  if (!claim.is_object()) return pack_object(claim);
  const std::string handed = handed_to(claim);
  bool foreign = !handed.empty() && handed != provisioner_name;
  if (!foreign && handed.empty()) {
    const std::string class_name = claim_class_name(claim);
    if (!class_name.empty() && class_provisioner) {
      const auto provisioner = class_provisioner(class_name);
      foreign = provisioner && *provisioner != provisioner_name;
    }
  }
  if (foreign) {
    if (auto compact = compact_record(claim)) return std::move(*compact);
  }
  return pack_object(trimmed(std::move(claim)));
}

std::string volume_record(json volume, std::string_view provisioner_name) {
  if (!volume.is_object()) return pack_object(volume);
  if (auto compact = compact_volume(volume, provisioner_name)) return std::move(*compact);
  if (auto status = volume.find("status"); status != volume.end() && status->is_object())
    status->erase("lastPhaseTransitionTime");
  return pack_object(trimmed(std::move(volume)));
}

std::string object_record(json object) {
  return pack_object(object.is_object() ? trimmed(std::move(object)) : std::move(object));
}

json load_record(std::string_view record) {
  if (is_packed(record)) return unpack_object(record);
  if (!record.empty() && record[0] == kCompactVolumeTag) return expand_volume(record);
  return expand_claim(record);
}

bool is_compact(std::string_view record) {
  return parse_compact(record).has_value();
}

bool is_compact_volume(std::string_view record) {
  return parse_volume(record).has_value();
}

bool compact_for_class(std::string_view record) {
  const auto compact = parse_compact(record);
  return compact && compact->fields[kProvisioner].empty() && compact->beta_provisioner().empty();
}

json expand_claim(std::string_view record) {
  const auto compact = parse_compact(record);
  if (!compact) throw json::other_error::create(501, "not a compact claim record", nullptr);
  const auto& f = compact->fields;
  const auto at = [&](ClaimField which) { return std::string(f[which]); };
  json meta = {{"name", at(kName)},
               {"namespace", at(kNamespace)},
               {"uid", compact->uid()},
               {"resourceVersion", at(kResourceVersion)}};
  if (!f[kDeletionTimestamp].empty()) meta["deletionTimestamp"] = at(kDeletionTimestamp);
  json notes = json::object();
  if (!f[kProvisioner].empty())
    notes[std::string(kStorageProvisionerAnnotation)] = at(kProvisioner);
  if (const auto beta = compact->beta_provisioner(); !beta.empty())
    notes[std::string(kBetaStorageProvisionerAnnotation)] = std::string(beta);
  if (!f[kLegacyClass].empty()) notes[std::string(kLegacyClassAnnotation)] = at(kLegacyClass);
  if (!notes.empty()) meta["annotations"] = std::move(notes);
  json spec = json::object();
  if (!f[kClass].empty()) spec["storageClassName"] = at(kClass);
  if (auto volume = compact->volume(); !volume.empty()) spec["volumeName"] = std::move(volume);
  json claim = {{"metadata", std::move(meta)}, {"spec", std::move(spec)}, {"compact", true}};
  if (!f[kPhase].empty()) claim["status"] = {{"phase", at(kPhase)}};
  return claim;
}

std::string record_class(std::string_view record) {
  const auto compact = parse_compact(record);
  if (!compact) return claim_class_name(load_record(record));
  const auto& f = compact->fields;
  return std::string(!f[kClass].empty() ? f[kClass] : f[kLegacyClass]);
}

std::string record_volume_name(std::string_view record) {
  const auto compact = parse_compact(record);
  return compact ? volume_name_for_uid(compact->uid()) : volume_name_for(load_record(record));
}

json expand_volume(std::string_view record) {
  const auto parsed = parse_volume(record);
  if (!parsed) throw json::other_error::create(501, "not a compact volume record", nullptr);
  // Not a structured binding: clang before 16 (bookworm has 14, for clang-tidy) cannot capture
  // one in a lambda.
  const std::uint8_t flags = parsed->first;
  const auto& f = parsed->second;
  const auto at = [&](VolumeField which) { return std::string(f[which]); };
  const std::string claim_uid = uid_text_of(f[kClaimUid], flags & kClaimUidBinary);
  json meta = {{"name", flags & kNameOfClaimUid ? volume_name_for_uid(claim_uid) : at(kVolumeName)},
               {"uid", uid_text_of(f[kVolumeUid], flags & kVolumeUidBinary)},
               {"resourceVersion", at(kVolumeResourceVersion)}};
  if (!f[kVolumeDeletionTimestamp].empty())
    meta["deletionTimestamp"] = at(kVolumeDeletionTimestamp);
  if (flags & kProvisionedBySet)
    meta["annotations"] = {{std::string(kProvisionedBy), at(kProvisionedByField)}};
  json spec = json::object();
  if (!f[kVolumeClass].empty()) spec["storageClassName"] = at(kVolumeClass);
  if (!f[kClaimNamespace].empty() || !f[kClaimName].empty() || !claim_uid.empty())
    spec["claimRef"] = {
        {"namespace", at(kClaimNamespace)}, {"name", at(kClaimName)}, {"uid", claim_uid}};
  if (!f[kReclaimPolicy].empty()) spec["persistentVolumeReclaimPolicy"] = at(kReclaimPolicy);
  if (!f[kCapacity].empty()) spec["capacity"] = {{"storage", at(kCapacity)}};
  json volume = {{"metadata", std::move(meta)}, {"spec", std::move(spec)}, {"compact", true}};
  if (!f[kVolumePhase].empty()) volume["status"] = {{"phase", at(kVolumePhase)}};
  return volume;
}

std::string volume_record_class(std::string_view record) {
  if (const auto parsed = parse_volume(record)) return std::string(parsed->second[kVolumeClass]);
  return string_field(field(load_record(record), "spec"), "storageClassName");
}

}  // namespace nfsprov::core
