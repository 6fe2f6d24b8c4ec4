// Volume records: how the provisioner knows, across a crash, which directories it made for
// which volume before that volume's PV existed. One symlink per volume being made,
//   <share>/.nfs-provisioner/volumes/<pv name> -> "<class>/<directory>"
// written before the mkdir and removed once the PV exists. A symlink is one atomic RPC that
// carries its content (never followed: the NFS layer lstats every path), and its ctime is set
// by the server's clock, the same clock as the directory's. No pod sees them: a volume is
// always a directory below the share, and no volume may be .nfs-provisioner or inside it.
//
// What a leftover record means after a restart:
//   - its PV exists: the crash came after the create; the record is dropped.
//   - its claim exists: the claim is still being provisioned; its retry adopts the directory.
//   - neither: the claim was deleted before its volume was made. The directory is an orphan:
//     the leader removes it (it never held a pod's data) or archives it if something is in it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/export_files.h"
#include "nfs/values/volume_record.h"

namespace nfsprov::nfs {

// Writes the record, creating the records directory (mode 0700) as needed. An identical one
// is kept as it is (with its time); a different one for the same PV is replaced.
void write_record(ExportFiles& client, const VolumeRecord& record);
// nullopt when there is none; a record whose content cannot be parsed is reported as absent.
std::optional<VolumeRecord> read_record(ExportFiles& client, std::string_view pv_name);
// Removes it; false when there was none.
bool erase_record(ExportFiles& client, std::string_view pv_name);
// Every record on the export (none when the records directory does not exist).
std::vector<VolumeRecord> list_records(ExportFiles& client);

}  // namespace nfsprov::nfs
