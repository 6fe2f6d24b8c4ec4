#include "nfs/volume_records.h"

#include <cerrno>

#include "nfs/nfs_error.h"

namespace nfsprov::nfs {

namespace {

const std::string kRecords = std::string(kReservedDirectory) + "/volumes";

std::string record_path(std::string_view pv_name) {
  return kRecords + "/" + std::string(pv_name);
}

// A record another replica removes while we look it up reads as ESTALE or ENOENT (its handle
// went away between the lookup and the call): that is "no record", not an NFS failure.
template <class F>
auto unless_removed(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const NfsError& e) {
    if (e.error_number() == ESTALE || e.error_number() == ENOENT) return {};
    throw;
  }
}

std::optional<VolumeRecord> read_record_once(ExportFiles& client, std::string_view pv_name) {
  const std::string path = record_path(pv_name);
  const auto target = client.read_symlink(path);
  if (!target) return std::nullopt;
  const auto slash = target->find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == target->size()) return std::nullopt;
  VolumeRecord record{std::string(pv_name), target->substr(0, slash), target->substr(slash + 1)};
  const auto info = client.stat(path);
  if (!info) return std::nullopt;  // removed meanwhile (by another replica)
  record.written_ns = info->changed_ns;
  return record;
}

}  // namespace

void write_record(ExportFiles& client, const VolumeRecord& record) {
  const std::string path = record_path(record.pv_name);
  const std::string target = record.class_name + "/" + record.directory;
  for (int attempt = 0;; ++attempt) {
    try {
      client.create_symlink(path, target);
      return;
    } catch (const NfsError& e) {
      // The first record on this export: the directory is not looked for up front, which
      // would cost every provision two LOOKUPs.
      if (e.error_number() == ENOENT && attempt == 0) {
        client.create_directory(kRecords, {.mode = 0700});
        continue;
      }
      if (e.error_number() != EEXIST) throw;
    }
    // The same record (another replica on the same claim, without leader election) stays as
    // it is: its time is the one the directory is judged by.
    if (unless_removed([&] { return client.read_symlink(path); }) == target) return;
    // An earlier try's record (a changed pathPattern expansion, say): this one replaces it.
    client.remove_file(path);
    client.create_symlink(path, target);
    return;
  }
}

std::optional<VolumeRecord> read_record(ExportFiles& client, std::string_view pv_name) {
  return unless_removed([&] { return read_record_once(client, pv_name); });
}

bool erase_record(ExportFiles& client, std::string_view pv_name) {
  return unless_removed(
             [&] { return std::optional<bool>(client.remove_file(record_path(pv_name))); })
      .value_or(false);
}

std::vector<VolumeRecord> list_records(ExportFiles& client) {
  if (!client.exists(kRecords)) return {};
  std::vector<VolumeRecord> records;
  for (const auto& name : client.list(kRecords))
    if (auto record = read_record(client, name)) records.push_back(std::move(*record));
  return records;
}

}  // namespace nfsprov::nfs
