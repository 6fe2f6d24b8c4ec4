#include "provisioner/core/cache_records.h"

#include "provisioner/core/annotations.h"
#include "provisioner/core/claim_filter.h"
#include "provisioner/core/json_fields.h"

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

}  // namespace

json trimmed(json object) {
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    meta->erase("managedFields");
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
  if (!foreign) return trimmed(std::move(claim));
  const json& meta = field(claim, "metadata");
  const json& spec = field(claim, "spec");
  json record = json::array();
  record.push_back(kCompactTag);
  record.push_back(string_field(meta, "name"));
  record.push_back(string_field(meta, "namespace"));
  record.push_back(string_field(meta, "uid"));
  record.push_back(string_field(meta, "resourceVersion"));
  record.push_back(string_field(meta, "deletionTimestamp"));
  record.push_back(annotation_of(claim, kStorageProvisionerAnnotation).value_or(""));
  record.push_back(annotation_of(claim, kBetaStorageProvisionerAnnotation).value_or(""));
  record.push_back(string_field(spec, "storageClassName"));
  record.push_back(annotation_of(claim, kLegacyClassAnnotation).value_or(""));
  record.push_back(string_field(spec, "volumeName"));
  record.push_back(string_field(field(claim, "status"), "phase"));
  return record;
}

bool is_compact(const json& record) {
  return record.is_array() && record.size() == kFields && record[0] == kCompactTag;
}

bool compact_for_class(const json& record) {
  return is_compact(record) && record[kProvisioner].get_ref<const std::string&>().empty() &&
         record[kBetaProvisioner].get_ref<const std::string&>().empty();
}

json expand_claim(const json& record) {
  if (!is_compact(record)) return record;
  const auto at = [&](Field f) -> const std::string& {
    return record[f].get_ref<const std::string&>();
  };
  json meta = {{"name", at(kName)},
               {"namespace", at(kNamespace)},
               {"uid", at(kUid)},
               {"resourceVersion", at(kResourceVersion)}};
  if (!at(kDeletionTimestamp).empty()) meta["deletionTimestamp"] = at(kDeletionTimestamp);
  json notes = json::object();
  if (!at(kProvisioner).empty())
    notes[std::string(kStorageProvisionerAnnotation)] = at(kProvisioner);
  if (!at(kBetaProvisioner).empty())
    notes[std::string(kBetaStorageProvisionerAnnotation)] = at(kBetaProvisioner);
  if (!at(kLegacyClass).empty()) notes[std::string(kLegacyClassAnnotation)] = at(kLegacyClass);
  if (!notes.empty()) meta["annotations"] = std::move(notes);
  json spec = json::object();
  if (!at(kClass).empty()) spec["storageClassName"] = at(kClass);
  if (!at(kVolume).empty()) spec["volumeName"] = at(kVolume);
  json claim = {{"metadata", std::move(meta)}, {"spec", std::move(spec)}, {"compact", true}};
  if (!at(kPhase).empty()) claim["status"] = {{"phase", at(kPhase)}};
  return claim;
}

std::string record_class(const json& record) {
  if (!is_compact(record)) return claim_class_name(record);
  const auto& name = record[kClass].get_ref<const std::string&>();
  return !name.empty() ? name : record[kLegacyClass].get<std::string>();
}

std::string record_volume_name(const json& record) {
  return "pvc-" + (is_compact(record) ? record[kUid].get<std::string>()
                                      : string_field(field(record, "metadata"), "uid"));
}

}  // namespace nfsprov::core
