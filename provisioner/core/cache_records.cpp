#include "provisioner/core/cache_records.h"

#include <vector>

#include "provisioner/core/annotations.h"
#include "provisioner/core/claim_filter.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/packed_object.h"
#include "provisioner/core/volume_identity.h"

namespace nfsprov::core {
namespace {

using nlohmann::json;

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";
// A compact record's first element, so nothing else (no API object is an array) is taken for
// one.
constexpr std::string_view kCompactTag = "claim/v1";

// The fields of a compact record, in order after the tag.
enum Field : std::size_t {
  kName = 1,
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

std::string handed_to(const json& claim) {
  if (auto who = annotation_of(claim, kStorageProvisionerAnnotation)) return *who;
  return annotation_of(claim, kBetaStorageProvisionerAnnotation).value_or("");
}

// A compact record is one JSON string: the tag, then the fields in Field order, each ended by
// a NUL (no field of an API object holds one). One allocation where an array of eleven
// strings took twelve: about 300 bytes a claim with the cache's key, instead of 2 KiB.
std::vector<std::string_view> fields_of(const std::string& packed) {
  std::vector<std::string_view> fields;
  fields.reserve(kFields);
  std::string_view rest(packed);
  while (!rest.empty()) {
    const auto end = rest.find('\0');
    if (end == std::string_view::npos) break;
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end + 1);
  }
  return fields;
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

json claim_record(json claim, std::string_view provisioner_name,
                  const ClassProvisioner& class_provisioner) {
  if (!claim.is_object()) return claim;
  const std::string handed = handed_to(claim);
  bool foreign = !handed.empty() && handed != provisioner_name;
  if (!foreign && handed.empty()) {
    const std::string class_name = claim_class_name(claim);
    if (!class_name.empty() && class_provisioner) {
      const auto provisioner = class_provisioner(class_name);
      foreign = provisioner && *provisioner != provisioner_name;
    }
  }
  if (!foreign) return pack_object(trimmed(std::move(claim)));
  const json& meta = field(claim, "metadata");
  const json& spec = field(claim, "spec");
  std::string packed;
  for (const std::string& value :
       {std::string(kCompactTag), string_field(meta, "name"), string_field(meta, "namespace"),
        string_field(meta, "uid"), string_field(meta, "resourceVersion"),
        string_field(meta, "deletionTimestamp"),
        annotation_of(claim, kStorageProvisionerAnnotation).value_or(""),
        annotation_of(claim, kBetaStorageProvisionerAnnotation).value_or(""),
        string_field(spec, "storageClassName"),
        annotation_of(claim, kLegacyClassAnnotation).value_or(""), string_field(spec, "volumeName"),
        string_field(field(claim, "status"), "phase")}) {
    // A NUL inside a value would shift every field after it: such a claim stays whole.
    if (value.find('\0') != std::string::npos) return pack_object(trimmed(std::move(claim)));
    packed += value;
    packed += '\0';
  }
  packed.shrink_to_fit();
  return packed;
}

json volume_record(json volume) {
  if (!volume.is_object()) return volume;
  if (auto status = volume.find("status"); status != volume.end() && status->is_object())
    status->erase("lastPhaseTransitionTime");
  return pack_object(trimmed(std::move(volume)));
}

json load_record(const json& record) {
  if (is_packed(record)) return unpack_object(record.get_ref<const std::string&>());
  return expand_claim(record);
}

bool is_compact(const json& record) {
  if (!record.is_string()) return false;
  const auto& packed = record.get_ref<const std::string&>();
  return packed.size() > kCompactTag.size() &&
         packed.compare(0, kCompactTag.size(), kCompactTag) == 0 &&
         packed[kCompactTag.size()] == '\0' && fields_of(packed).size() == kFields;
}

namespace {

// The fields of a record is_compact said yes to.
std::vector<std::string_view> compact_fields(const json& record) {
  return fields_of(record.get_ref<const std::string&>());
}

}  // namespace

bool compact_for_class(const json& record) {
  if (!is_compact(record)) return false;
  const auto f = compact_fields(record);
  return f[kProvisioner].empty() && f[kBetaProvisioner].empty();
}

json expand_claim(const json& record) {
  if (!is_compact(record)) return record;
  const auto f = compact_fields(record);
  const auto at = [&](Field which) { return std::string(f[which]); };
  json meta = {{"name", at(kName)},
               {"namespace", at(kNamespace)},
               {"uid", at(kUid)},
               {"resourceVersion", at(kResourceVersion)}};
  if (!f[kDeletionTimestamp].empty()) meta["deletionTimestamp"] = at(kDeletionTimestamp);
  json notes = json::object();
  if (!f[kProvisioner].empty())
    notes[std::string(kStorageProvisionerAnnotation)] = at(kProvisioner);
  if (!f[kBetaProvisioner].empty())
    notes[std::string(kBetaStorageProvisionerAnnotation)] = at(kBetaProvisioner);
  if (!f[kLegacyClass].empty()) notes[std::string(kLegacyClassAnnotation)] = at(kLegacyClass);
  if (!notes.empty()) meta["annotations"] = std::move(notes);
  json spec = json::object();
  if (!f[kClass].empty()) spec["storageClassName"] = at(kClass);
  if (!f[kVolume].empty()) spec["volumeName"] = at(kVolume);
  json claim = {{"metadata", std::move(meta)}, {"spec", std::move(spec)}, {"compact", true}};
  if (!f[kPhase].empty()) claim["status"] = {{"phase", at(kPhase)}};
  return claim;
}

std::string record_class(const json& record) {
  if (!is_compact(record)) return claim_class_name(load_record(record));
  const auto f = compact_fields(record);
  return std::string(!f[kClass].empty() ? f[kClass] : f[kLegacyClass]);
}

std::string record_volume_name(const json& record) {
  return is_compact(record) ? volume_name_for_uid(compact_fields(record)[kUid])
                            : volume_name_for(load_record(record));
}

std::string volume_record_class(const json& record) {
  return string_field(field(load_record(record), "spec"), "storageClassName");
}

}  // namespace nfsprov::core
