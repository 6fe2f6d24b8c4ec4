// What is on one export, judged against the PVs and claims: the pure part of
// `nfs-provisioner audit` and of the leader's archive retention. The edge lists the export
// (nfs/export_survey.h) and the API objects; this says, for every entry found, whose it is:
//   volume   the directory of a PV (ours or a static one)
//   parent   a directory holding volumes (pathPattern "a/b"), or claims being provisioned
//   pending  the directory of a claim still being provisioned (its PV does not exist yet)
//   orphan   ours without a PV or claim: named <namespace>-<claim>-pvc-<uid> as we and
//            nfs-subdir name volumes, or named by a volume record (nfs/volume_records.h)
//   archive  archived-*; ours only when the rest is such a volume name (with or without our
//            -YYYYmmddTHHMMSSZ suffix), else listed but never removed
//   foreign  anything else: never touched
//   missing  a PV of ours whose directory is not on the export
// An archive's age is the server's ctime of its directory: a rename sets it, no client can
// set it back (a pod can set a directory's mtime to any date), and a later write inside only
// makes it younger, so an archive is never removed early.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nfs/values/export_address.h"
#include "nfs/values/survey.h"
#include "nfs/values/volume_record.h"

namespace nfsprov::core {

// A PV with an NFS source in the audited export.
struct AuditVolume {
  std::string pv_name;
  std::string directory;  // relative to the share
  std::string phase;
  std::string claim;  // "<namespace>/<name>" of spec.claimRef, "" when unbound
  bool ours = false;  // provisioned by us
};

// The PVs of pv_items (a list's "items") whose spec.nfs is on address's server and strictly
// inside its share (a static PV of the whole share holds everything and names nothing).
std::vector<AuditVolume> volumes_on_export(const nlohmann::json& pv_items,
                                           const nfs::ExportAddress& address,
                                           std::string_view provisioner_name);

// What exists in the cluster, whatever export it is on: a directory made for one of these is
// never an orphan (a PV whose spec.nfs.server spells the server otherwise is still a PV).
struct LiveNames {
  std::set<std::string> volumes;  // the name of every PV
  std::set<std::string> claimed;  // "pvc-<uid>" of every claim: volumes that may be being made
};
LiveNames live_names(const nlohmann::json& pv_items, const nlohmann::json& claim_items);

// What to list: the share itself and every directory above a volume's or a record's.
std::vector<std::string> directories_to_list(const std::vector<AuditVolume>& volumes,
                                             const std::vector<nfs::VolumeRecord>& records);

// "pvc-<uid>" when name is <anything>-pvc-<uuid> (our and nfs-subdir's volume names).
std::optional<std::string> volume_name_in(std::string_view name);

enum class AuditKind { volume, parent, pending, orphan, archive, foreign, missing };
std::string_view kind_name(AuditKind kind);

struct AuditRow {
  AuditKind kind = AuditKind::foreign;
  std::string path;     // relative to the share
  std::string pv_name;  // orphan, pending: the PV it was made for; archive of ours: it was
  std::string claim;
  std::string phase;
  bool ours = false;  // volume: provisioned by us; archive: may be removed when expired
  std::optional<std::chrono::seconds> age;  // archive
  std::optional<nfs::TreeSize> size;        // archive, when measured
  std::string note;                         // why, for a human
};

struct AuditReport {
  std::string export_name;     // "server:/share"
  std::vector<AuditRow> rows;  // by path
  std::size_t count(AuditKind kind) const;
  std::uint64_t archive_bytes() const;
};

// now_ns: the time ages are measured at, in ns since the epoch (our clock; a skew between
// ours and the server's shifts every age by it).
AuditReport classify_export(std::string export_name, const std::vector<AuditVolume>& volumes,
                            const LiveNames& live, const std::vector<nfs::SurveyEntry>& entries,
                            const std::vector<nfs::VolumeRecord>& records, std::int64_t now_ns);

struct CleanupAction {
  enum class Kind { archive, remove } kind = Kind::archive;
  std::string path;                         // relative to the share
  std::string target;                       // archive: the new name (archive_directory_for)
  std::optional<std::chrono::seconds> age;  // remove: the archive's age
  std::string pv_name;                      // the PV the directory was made for
};

// Orphans to archive (when archive_orphans) and archives of ours older than expire_after.
// Nothing else: a volume, a foreign entry or an archive not of ours is never in the plan.
std::vector<CleanupAction> plan_cleanup(const AuditReport& report, bool archive_orphans,
                                        std::optional<std::chrono::seconds> expire_after);

}  // namespace nfsprov::core
