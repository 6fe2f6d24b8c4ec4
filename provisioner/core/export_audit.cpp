#include "provisioner/core/export_audit.h"

#include <algorithm>
#include <map>
#include <utility>

#include "provisioner/core/annotations.h"
#include "provisioner/core/class_export.h"
#include "provisioner/core/deletion_planner.h"
#include "provisioner/core/directory_index.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/volume_identity.h"

namespace nfsprov::core {

namespace {

using nlohmann::json;

constexpr std::string_view kArchivePrefix = "archived-";
// "-YYYYmmddTHHMMSSZ", what timestamped_archive_directory appends.
constexpr std::size_t kStampLength = 17;

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t dash : {8, 13, 18, 23})
    if (text[dash] != '-') return false;
  for (auto [from, length] : {std::pair{0, 8}, {9, 4}, {14, 4}, {19, 4}, {24, 12}})
    if (!is_hex(text.substr(from, length))) return false;
  return true;
}

bool is_stamp(std::string_view text) {
  if (text.size() != kStampLength || text[0] != '-' || text[9] != 'T' || text[16] != 'Z')
    return false;
  const auto digits = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(text.substr(1, 8)) && digits(text.substr(10, 6));
}

std::string last_component(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// The volume an archive's name says it was: "archived-<volume name>[-stamp]".
std::optional<std::string> archived_volume(std::string_view name) {
  if (!name.starts_with(kArchivePrefix)) return std::nullopt;
  name.remove_prefix(kArchivePrefix.size());
  if (auto found = volume_name_in(name)) return found;
  if (name.size() > kStampLength && is_stamp(name.substr(name.size() - kStampLength)))
    return volume_name_in(name.substr(0, name.size() - kStampLength));
  return std::nullopt;
}

// spec.nfs.path relative to share, nullopt when it is not strictly inside it.
std::optional<std::string> inside_share(const std::string& path, const std::string& share) {
  if (!path.starts_with('/')) return std::nullopt;
  const std::string normal = DirectoryIndex::normalized(path);
  if (normal.find("/../") != std::string::npos || normal.ends_with("/..")) return std::nullopt;
  if (share == "/") return normal.size() > 1 ? std::optional(normal.substr(1)) : std::nullopt;
  if (!normal.starts_with(share + "/") || normal.size() == share.size() + 1) return std::nullopt;
  return normal.substr(share.size() + 1);
}

std::vector<std::string> ancestors_of(const std::string& directory) {
  std::vector<std::string> found;
  for (auto slash = directory.find('/'); slash != std::string::npos;
       slash = directory.find('/', slash + 1))
    found.push_back(directory.substr(0, slash));
  return found;
}

}  // namespace

std::optional<std::string> volume_name_in(std::string_view name) {
  constexpr std::string_view kMarker = "-pvc-";
  if (name.size() < kMarker.size() + 36 + 1) return std::nullopt;
  const auto uuid = name.substr(name.size() - 36);
  if (!is_uuid(uuid) || name.substr(name.size() - 36 - kMarker.size(), kMarker.size()) != kMarker)
    return std::nullopt;
  return volume_name_for_uid(uuid);
}

std::string_view kind_name(AuditKind kind) {
  switch (kind) {
    case AuditKind::volume:
      return "volume";
    case AuditKind::parent:
      return "parent";
    case AuditKind::pending:
      return "pending";
    case AuditKind::orphan:
      return "orphan";
    case AuditKind::archive:
      return "archive";
    case AuditKind::foreign:
      return "foreign";
    case AuditKind::missing:
      return "missing";
  }
  return "foreign";
}

std::vector<AuditVolume> volumes_on_export(const json& pv_items, const nfs::ExportAddress& address,
                                           std::string_view provisioner_name) {
  std::vector<AuditVolume> volumes;
  const auto share = normalized_share(address.export_path);
  if (!share || !pv_items.is_array()) return volumes;
  for (const auto& pv : pv_items) {
    const json& nfs = field(field(pv, "spec"), "nfs");
    if (string_field(nfs, "server") != address.server) continue;
    const auto directory = inside_share(string_field(nfs, "path"), *share);
    if (!directory) continue;
    const json& claim_ref = field(field(pv, "spec"), "claimRef");
    const std::string claim_name = string_field(claim_ref, "name");
    volumes.push_back(
        {string_field(field(pv, "metadata"), "name"), *directory,
         string_field(field(pv, "status"), "phase"),
         claim_name.empty() ? "" : string_field(claim_ref, "namespace") + "/" + claim_name,
         provisioned_by(pv, provisioner_name)});
  }
  return volumes;
}

LiveNames live_names(const json& pv_items, const json& claim_items) {
  LiveNames live;
  if (pv_items.is_array())
    for (const auto& pv : pv_items)
      live.volumes.insert(string_field(field(pv, "metadata"), "name"));
  if (claim_items.is_array())
    for (const auto& claim : claim_items)
      if (auto uid = string_field(field(claim, "metadata"), "uid"); !uid.empty())
        live.claimed.insert(volume_name_for_uid(uid));
  return live;
}

std::vector<std::string> directories_to_list(const std::vector<AuditVolume>& volumes,
                                             const std::vector<nfs::VolumeRecord>& records) {
  std::set<std::string> directories{""};
  for (const auto& volume : volumes)
    for (auto& above : ancestors_of(volume.directory)) directories.insert(std::move(above));
  for (const auto& record : records)
    for (auto& above : ancestors_of(record.directory)) directories.insert(std::move(above));
  return {directories.begin(), directories.end()};
}

std::size_t AuditReport::count(AuditKind kind) const {
  return static_cast<std::size_t>(std::count_if(
      rows.begin(), rows.end(), [kind](const auto& row) { return row.kind == kind; }));
}

std::uint64_t AuditReport::archive_bytes() const {
  std::uint64_t bytes = 0;
  for (const auto& row : rows)
    if (row.kind == AuditKind::archive && row.size) bytes += row.size->bytes;
  return bytes;
}

AuditReport classify_export(std::string export_name, const std::vector<AuditVolume>& volumes,
                            const LiveNames& live, const std::vector<nfs::SurveyEntry>& entries,
                            const std::vector<nfs::VolumeRecord>& records, std::int64_t now_ns) {
  std::map<std::string, const AuditVolume*> by_directory;
  std::map<std::string, const AuditVolume*> by_name;
  std::set<std::string> parents;
  for (const auto& volume : volumes) {
    by_directory.emplace(volume.directory, &volume);
    by_name.emplace(volume.pv_name, &volume);
    for (auto& above : ancestors_of(volume.directory)) parents.insert(std::move(above));
  }
  std::map<std::string, const nfs::VolumeRecord*> record_of;
  for (const auto& record : records) {
    record_of.emplace(record.directory, &record);
    for (auto& above : ancestors_of(record.directory)) parents.insert(std::move(above));
  }

  AuditReport report{std::move(export_name), {}};
  std::set<std::string> seen;
  for (const auto& entry : entries) {
    if (entry.path == nfs::kReservedDirectory) continue;  // our records, never a volume
    seen.insert(entry.path);
    AuditRow row;
    row.path = entry.path;
    const bool directory = entry.type == nfs::FileType::directory;
    const std::string name = last_component(entry.path);
    // The PV a directory was made for: by its record, else by its name.
    const auto record = record_of.find(entry.path);
    const std::optional<std::string> made_for =
        record != record_of.end() ? std::optional(record->second->pv_name) : volume_name_in(name);
    if (auto volume = by_directory.find(entry.path); volume != by_directory.end()) {
      const AuditVolume& v = *volume->second;
      row.kind = AuditKind::volume;
      row.pv_name = v.pv_name;
      row.claim = v.claim;
      row.phase = v.phase;
      row.ours = v.ours;
      if (!directory) row.note = "not a directory";
    } else if (directory && parents.contains(entry.path)) {
      row.kind = AuditKind::parent;
    } else if (directory && name.starts_with(kArchivePrefix)) {
      row.kind = AuditKind::archive;
      const auto was = archived_volume(name);
      row.ours = was.has_value();
      row.pv_name = was.value_or("");
      row.age = std::chrono::seconds((now_ns - entry.changed_ns) / 1'000'000'000);
      if (!row.ours) row.note = "not named like our volumes: never removed";
    } else if (directory && made_for && live.claimed.contains(*made_for) &&
               !live.volumes.contains(*made_for)) {
      row.kind = AuditKind::pending;
      row.pv_name = *made_for;
      row.note = "its claim is being provisioned";
    } else if (directory && made_for && !live.volumes.contains(*made_for) &&
               !by_name.contains(*made_for)) {
      row.kind = AuditKind::orphan;
      row.pv_name = *made_for;
      row.ours = true;
      row.note = record != record_of.end() ? "volume record, no PV or claim"
                                           : "named like our volumes, no PV or claim";
    } else {
      row.kind = AuditKind::foreign;
      if (made_for && by_name.contains(*made_for))
        row.note = "PV " + *made_for + " uses " + by_name.at(*made_for)->directory;
      else if (made_for && live.volumes.contains(*made_for))
        row.note = "PV " + *made_for + " is on another server or share";
      else if (!directory)
        row.note = "not a directory";
    }
    report.rows.push_back(std::move(row));
  }
  for (const auto& volume : volumes) {
    if (!volume.ours || seen.contains(volume.directory)) continue;
    report.rows.push_back({AuditKind::missing, volume.directory, volume.pv_name, volume.claim,
                           volume.phase, true, std::nullopt, std::nullopt,
                           "the PV's directory is not on the export"});
  }
  std::sort(report.rows.begin(), report.rows.end(),
            [](const AuditRow& a, const AuditRow& b) { return a.path < b.path; });
  return report;
}

std::vector<CleanupAction> plan_cleanup(const AuditReport& report, bool archive_orphans,
                                        std::optional<std::chrono::seconds> expire_after) {
  std::vector<CleanupAction> plan;
  for (const auto& row : report.rows) {
    if (archive_orphans && row.kind == AuditKind::orphan && row.ours)
      plan.push_back({CleanupAction::Kind::archive, row.path, archive_directory_for(row.path),
                      std::nullopt, row.pv_name});
    if (expire_after && row.kind == AuditKind::archive && row.ours && row.age &&
        *row.age > *expire_after)
      plan.push_back({CleanupAction::Kind::remove, row.path, "", row.age, row.pv_name});
  }
  return plan;
}

}  // namespace nfsprov::core
