#include "provisioner/core/cache_records.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "provisioner/core/annotations.h"
#include "provisioner/core/claim_filter.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/packed_object.h"
#include "provisioner/core/uuid_bytes.h"
#include "provisioner/core/volume_identity.h"

namespace nfsprov::core {
namespace {

using nlohmann::json;

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// A compact record: this tag (MessagePack's nil, never a packed object's first byte nor the
// first of any JSON text), a byte of Flags, then the fields in Field order, each as its length
// (one byte below 0x80, else two: 0x80 | high bits, low byte) and its bytes. About 110 bytes
// for a claim bound by another provisioner, where its JSON text is over 900.
constexpr char kCompactTag = '\xC0';
constexpr std::size_t kMaxField = 0x7FFF;

enum Field : std::size_t {
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
  kFields
};

// What the fields leave out, since it is told by the others. kube-controller-manager writes
// both provisioner annotations with one value, and a bound claim's volume is "pvc-<uid>".
enum Flag : std::uint8_t {
  kUidBinary = 1,    // kUid holds the uid's 16 bytes (uuid_bytes)
  kBetaSame = 2,     // the beta annotation is kProvisioner's value (kBetaProvisioner empty)
  kVolumeOfUid = 4,  // the volume is volume_name_for_uid(uid) (kVolume empty)
  kAllFlags = 7
};

struct Compact {
  std::uint8_t flags = 0;
  std::array<std::string_view, kFields> fields;

  std::string uid() const {
    if (!(flags & kUidBinary)) return std::string(fields[kUid]);
    UuidBytes bytes{};
    std::transform(fields[kUid].begin(), fields[kUid].end(), bytes.begin(),
                   [](char c) { return static_cast<std::uint8_t>(c); });
    return uuid_text(bytes);
  }
  std::string_view beta_provisioner() const {
    return flags & kBetaSame ? fields[kProvisioner] : fields[kBetaProvisioner];
  }
  std::string volume() const {
    return flags & kVolumeOfUid ? volume_name_for_uid(uid()) : std::string(fields[kVolume]);
  }
};

// The fields of a compact record; nothing for any other bytes.
std::optional<Compact> parse_compact(std::string_view record) {
  if (record.size() < 2 || record[0] != kCompactTag) return std::nullopt;
  Compact compact;
  compact.flags = static_cast<std::uint8_t>(record[1]);
  if (compact.flags & ~kAllFlags) return std::nullopt;
  record.remove_prefix(2);
  for (std::string_view& value : compact.fields) {
    if (record.empty()) return std::nullopt;
    std::size_t length = static_cast<std::uint8_t>(record[0]);
    std::size_t head = 1;
    if (length & 0x80) {
      if (record.size() < 2) return std::nullopt;
      length = (length & 0x7F) << 8 | static_cast<std::uint8_t>(record[1]);
      head = 2;
    }
    if (record.size() - head < length) return std::nullopt;
    value = record.substr(head, length);
    record.remove_prefix(head + length);
  }
  if (!record.empty()) return std::nullopt;
  if ((compact.flags & kUidBinary) && compact.fields[kUid].size() != UuidBytes().size())
    return std::nullopt;
  return compact;
}

std::string handed_to(const json& claim) {
  if (auto who = annotation_of(claim, kStorageProvisionerAnnotation)) return *who;
  return annotation_of(claim, kBetaStorageProvisionerAnnotation).value_or("");
}

// The compact record of a claim, or nothing when a value is too long for one.
std::optional<std::string> compact_record(const json& claim) {
  const json& meta = field(claim, "metadata");
  const json& spec = field(claim, "spec");
  std::array<std::string, kFields> values;
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
  if (const auto bytes = uuid_bytes(values[kUid])) {
    flags |= kUidBinary;
    values[kUid].assign(bytes->begin(), bytes->end());
  }
  std::string record{kCompactTag, static_cast<char>(flags)};
  for (const std::string& value : values) {
    if (value.size() > kMaxField) return std::nullopt;
    if (value.size() < 0x80) {
      record += static_cast<char>(value.size());
    } else {
      record += static_cast<char>(0x80 | value.size() >> 8);
      record += static_cast<char>(value.size() & 0xFF);
    }
    record += value;
  }
  record.shrink_to_fit();
  return record;
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

std::string volume_record(json volume) {
  if (!volume.is_object()) return pack_object(volume);
  if (auto status = volume.find("status"); status != volume.end() && status->is_object())
    status->erase("lastPhaseTransitionTime");
  return pack_object(trimmed(std::move(volume)));
}

std::string object_record(json object) {
  return pack_object(object.is_object() ? trimmed(std::move(object)) : std::move(object));
}

json load_record(std::string_view record) {
  if (is_packed(record)) return unpack_object(record);
  return expand_claim(record);
}

bool is_compact(std::string_view record) {
  return parse_compact(record).has_value();
}

bool compact_for_class(std::string_view record) {
  const auto compact = parse_compact(record);
  return compact && compact->fields[kProvisioner].empty() && compact->beta_provisioner().empty();
}

json expand_claim(std::string_view record) {
  const auto compact = parse_compact(record);
  if (!compact) throw json::other_error::create(501, "not a compact claim record", nullptr);
  const auto& f = compact->fields;
  const auto at = [&](Field which) { return std::string(f[which]); };
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

std::string volume_record_class(std::string_view record) {
  return string_field(field(load_record(record), "spec"), "storageClassName");
}

}  // namespace nfsprov::core
