#include "provisioner/core/volume_planner.h"

#include <algorithm>
#include <cstdint>

#include "provisioner/base/host_port.h"
#include "provisioner/core/annotations.h"
#include "provisioner/core/class_parameters.h"
#include "provisioner/core/clone_source.h"
#include "provisioner/core/deletion_planner.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/path_pattern.h"
#include "provisioner/core/quantity.h"
#include "provisioner/core/volume_identity.h"

namespace nfsprov::core {
namespace {

using nlohmann::json;

// Octal permission bits as Go's strconv.ParseUint(s, 8, 32) reads them, at most 07777.
std::optional<std::uint32_t> parse_mode(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    value = value * 8 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > 07777) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

// A decimal uid/gid, 0..4294967294; no sign. 4294967295 is (uid_t)-1, which chown reads as
// "leave unchanged": accepting it would silently not apply it.
std::optional<std::uint32_t> parse_id(std::string_view text) {
  const auto value = base::parse_decimal(text, UINT32_MAX - 1);
  if (!value) return std::nullopt;
  return static_cast<std::uint32_t>(*value);
}

// setuid, setgid and sticky: what a claim may not ask for unless its class allows it.
constexpr std::uint32_t kSpecialModeBits = 07000;

struct Setting {
  std::string_view annotation;
  std::string_view parameter;
  std::string_view expected;  // for the message
  std::optional<std::uint32_t> (*parse)(std::string_view);
};

// The claim annotation wins over the class parameter; nullopt when neither sets it.
Outcome<std::optional<std::uint32_t>> resolve(const Setting& setting, const json& claim,
                                              const json& storage_class) {
  if (auto text = annotation_of(claim, setting.annotation)) {
    if (auto value = setting.parse(*text)) return *value;
    return Refusal{"InvalidAnnotation", "claim annotation " + std::string(setting.annotation) +
                                            " \"" + printable(*text) + "\" is not " +
                                            std::string(setting.expected)};
  }
  if (auto text = class_parameter(&storage_class, setting.parameter)) {
    if (auto value = setting.parse(*text)) return *value;
    return invalid_parameter(setting.parameter, *text, "is not " + std::string(setting.expected));
  }
  return std::optional<std::uint32_t>{};
}

bool present(const json& value) {
  return !value.is_null();
}

}  // namespace

VolumePlanner::VolumePlanner(ProvisionerDefaults defaults) : defaults_(std::move(defaults)) {}

Outcome<VolumePlan> VolumePlanner::plan(const json& claim, const json& storage_class) const {
  const json& metadata = field(claim, "metadata");
  const json& spec = field(claim, "spec");
  std::string ns = string_field(metadata, "namespace");
  std::string name = string_field(metadata, "name");
  std::string uid = string_field(metadata, "uid");
  if (ns.empty() || name.empty() || uid.empty()) {
    return Refusal{"InvalidClaim", "claim has no metadata.namespace, name or uid"};
  }
  if (present(field(spec, "selector"))) {
    return Refusal{"UnsupportedSelector", "claim Selector is not supported"};
  }
  if (string_field(spec, "volumeMode") == "Block") {
    return Refusal{"UnsupportedVolumeMode",
                   "volumeMode Block is not supported: an NFS directory is a filesystem"};
  }
  auto clone_of = clone_source_name(claim);
  if (auto* refusal = std::get_if<Refusal>(&clone_of)) return *refusal;
  const json& request = field(field(field(spec, "resources"), "requests"), "storage");
  if (!request.is_string()) {
    return Refusal{"InvalidStorageRequest", "claim has no spec.resources.requests.storage"};
  }
  std::string capacity = request.get<std::string>();
  const auto parsed_request = parse_quantity_bytes(capacity);
  if (const auto* refusal = std::get_if<Refusal>(&parsed_request)) {
    return Refusal{"InvalidStorageRequest", "claim storage request: " + refusal->message};
  }
  const std::uint64_t request_bytes = std::get<std::uint64_t>(parsed_request);
  if (request_bytes == 0) {
    return Refusal{"InvalidStorageRequest", "claim requests 0 bytes of storage"};
  }

  auto address = class_export(&storage_class, defaults_);
  if (auto* refusal = std::get_if<Refusal>(&address)) return *refusal;
  const auto policy = capacity_policy(&storage_class);
  if (auto* refusal = std::get_if<Refusal>(&policy)) return *refusal;

  static constexpr Setting kMode{kCreateModeAnnotation, param::kMountPermissions,
                                 "an octal mode up to 07777 (e.g. 0750)", parse_mode};
  static constexpr Setting kUid{kCreateUidAnnotation, param::kUid, "a decimal uid (0..4294967294)",
                                parse_id};
  static constexpr Setting kGid{kCreateGidAnnotation, param::kGid, "a decimal gid (0..4294967294)",
                                parse_id};
  auto mode = resolve(kMode, claim, storage_class);
  if (auto* refusal = std::get_if<Refusal>(&mode)) return *refusal;
  // A tenant must not make a setgid (or setuid) directory for itself: files made in it would
  // take a group it may not belong to. The administrator's class may set such a mode itself,
  // or let claims ask for one with allowClaimSpecialModes "true".
  if (const auto asked = annotation_of(claim, kCreateModeAnnotation)) {
    const auto bits = std::get<std::optional<std::uint32_t>>(mode).value_or(0);
    const auto allowed = bool_parameter(&storage_class, param::kAllowClaimSpecialModes);
    if (auto* refusal = std::get_if<Refusal>(&allowed)) return *refusal;
    const bool allow = std::get<std::optional<bool>>(allowed).value_or(false);
    if ((bits & kSpecialModeBits) != 0 && !allow)
      return Refusal{"InvalidAnnotation",
                     "claim annotation " + std::string(kCreateModeAnnotation) + " \"" +
                         printable(*asked) +
                         "\" sets setuid, setgid or sticky bits, which only the StorageClass may "
                         "allow (parameter allowClaimSpecialModes: \"true\")"};
  }
  // No owner asked for: no chown. nfs-subdir chowns to 0:0 and ignores the error; leaving the
  // owner as the server made it gives the same 0:0 on a no_root_squash export and keeps a
  // root_squash export (where chown is refused) working, instead of failing every claim.
  auto owner = resolve(kUid, claim, storage_class);
  if (auto* refusal = std::get_if<Refusal>(&owner)) return *refusal;
  auto group = resolve(kGid, claim, storage_class);
  if (auto* refusal = std::get_if<Refusal>(&group)) return *refusal;

  VolumePlan plan;
  plan.pv_name = volume_name_for_uid(uid);
  auto directory =
      volume_directory(claim, class_parameter(&storage_class, param::kPathPattern), plan.pv_name);
  if (auto* refusal = std::get_if<Refusal>(&directory)) return *refusal;
  plan.directory = std::get<std::string>(directory);
  const auto depth_given =
      number_parameter(&storage_class, param::kMaxPathDepth, 1, kMaxMaxPathDepth,
                       "is not a number from 1 to " + std::to_string(kMaxMaxPathDepth));
  if (auto* refusal = std::get_if<Refusal>(&depth_given)) return *refusal;
  const std::size_t max_depth =
      std::get<std::optional<std::uint32_t>>(depth_given).value_or(kDefaultMaxPathDepth);
  if (const auto depth =
          static_cast<std::size_t>(std::count(plan.directory.begin(), plan.directory.end(), '/')) +
          1;
      depth > max_depth)
    return Refusal{"InvalidPath", "directory \"" + printable(plan.directory) + "\" has " +
                                      std::to_string(depth) +
                                      " levels, more than the class allows (maxPathDepth " +
                                      std::to_string(max_depth) + ")"};
  plan.export_address = std::get<nfs::ExportAddress>(address);
  plan.request_bytes = request_bytes;
  plan.request = capacity;
  plan.capacity_policy = std::get<CapacityPolicy>(policy);
  plan.clone_of = std::get<std::optional<std::string>>(clone_of);
  plan.create_options.mode = std::get<std::optional<std::uint32_t>>(mode).value_or(0777);
  plan.create_options.uid = std::get<std::optional<std::uint32_t>>(owner);
  plan.create_options.gid = std::get<std::optional<std::uint32_t>>(group);

  const auto& where = plan.export_address;
  json annotations = {{std::string(kProvisionedBy), defaults_.provisioner_name},
                      {std::string(kShareAnnotation), where.export_path}};
  if (where.nfs_port != 0)
    annotations[std::string(kNfsPortAnnotation)] = std::to_string(where.nfs_port);
  if (where.mount_port != 0) {
    annotations[std::string(kMountPortAnnotation)] = std::to_string(where.mount_port);
  }
  std::string reclaim = string_field(storage_class, "reclaimPolicy");
  const json& access_modes = field(spec, "accessModes");

  json pv_spec = {
      {"capacity", {{"storage", capacity}}},
      {"accessModes", access_modes.is_array() ? access_modes : json::array()},
      {"persistentVolumeReclaimPolicy", reclaim.empty() ? "Delete" : reclaim},
      {"storageClassName", string_field(field(storage_class, "metadata"), "name")},
      {"volumeMode", "Filesystem"},
      {"nfs",
       {{"server", where.server},
        {"path", join_export_path(where.export_path, plan.directory)},
        {"readOnly", false}}},
      {"claimRef",
       {{"kind", "PersistentVolumeClaim"},
        {"apiVersion", "v1"},
        {"namespace", ns},
        {"name", name},
        {"uid", uid},
        {"resourceVersion", string_field(metadata, "resourceVersion")}}},
  };
  const json& mount_options = field(storage_class, "mountOptions");
  if (mount_options.is_array() && !mount_options.empty()) pv_spec["mountOptions"] = mount_options;

  plan.pv = {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolume"},
      {"metadata",
       {{"name", plan.pv_name},
        {"annotations", std::move(annotations)},
        {"finalizers", json::array({std::string(kProvisionerFinalizer)})}}},
      {"spec", std::move(pv_spec)},
  };
  return plan;
}

}  // namespace nfsprov::core
