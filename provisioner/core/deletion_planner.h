// DeletionPlanner: from a PV (and its class, if it still exists) to what happens to its
// directory once the PV is Released. Pure: no I/O.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "nfs/values/export_address.h"
#include "provisioner/core/class_export.h"
#include "provisioner/core/refusal.h"

namespace nfsprov::core {

// Leave the PV and its directory alone: not ours, not Released, or reclaim policy
// Retain/Recycle.
struct SkipDeletion {
  std::string why;
  bool operator==(const SkipDeletion&) const = default;
};

enum class DeletionAction {
  remove,   // remove the directory tree, then the PV object
  retain,   // keep the directory, remove the PV object (onDelete: retain)
  archive,  // rename the directory to archive_directory, then remove the PV object
};

// "archived-<name>" is cut to this many bytes so that it, and the "-YYYYmmddTHHMMSSZ"
// alternative, stay within a 255-byte file name.
inline constexpr std::size_t kMaxArchiveNameBytes = 255 - 17;

struct DeletionPlan {
  DeletionAction action;
  nfs::ExportAddress export_address;
  std::string directory;          // the whole spec.nfs.path relative to the share (may nest)
  std::string archive_directory;  // same parent + "archived-<last component>" (cut to
                                  // kMaxArchiveNameBytes); "" unless archive
};

// Where a PV of ours keeps its data.
struct VolumeLocation {
  nfs::ExportAddress export_address;
  std::string directory;  // the whole spec.nfs.path relative to the share (may nest)
};

// Export: server = spec.nfs.server; share = annotation nfs-provisioner.io/share, else the
// class's `share`, else the default export path; ports = the PV's nfs-provisioner.io/*-port
// annotations, else as class_export's export_at() chooses them.
// Refusals: no spec.nfs; a path not absolute or containing ".."; a path outside its share or
// equal to the share; an invalid port annotation.
Outcome<VolumeLocation> volume_location(const nlohmann::json& pv,
                                        const nlohmann::json* storage_class,
                                        const ProvisionerDefaults& defaults);

using DeletionDecision = std::variant<SkipDeletion, DeletionPlan, Refusal>;

// Skip when: annotation pv.kubernetes.io/provisioned-by != our name; status.phase !=
// Released; spec.persistentVolumeReclaimPolicy is not Delete.
// Export and directory: volume_location.
// Action: class `onDelete` (delete | retain | archive) wins when set; otherwise
// `archiveOnDelete` parsed like Go's strconv.ParseBool (class_parameters.h): false -> remove, true
// or unset -> archive. Class gone (nullptr) -> archive, the safe choice. Refusals (never touched):
// volume_location's; an invalid onDelete/archiveOnDelete value.
class DeletionPlanner {
 public:
  explicit DeletionPlanner(ProvisionerDefaults defaults);

  DeletionDecision plan(const nlohmann::json& pv, const nlohmann::json* storage_class) const;

 private:
  ProvisionerDefaults defaults_;
};

// Where a directory is archived: "archived-<last component>" next to it, cut to
// kMaxArchiveNameBytes on a UTF-8 character boundary.
std::string archive_directory_for(std::string_view directory);

// The alternative archive name when `archive_directory` already exists:
// "a/archived-x" at 2026-11-25 15:18:28 UTC -> "a/archived-x-20261125T151828Z". The controller
// checks existence and never overwrites an archive.
std::string timestamped_archive_directory(std::string_view archive_directory,
                                          std::chrono::system_clock::time_point when);

}  // namespace nfsprov::core
