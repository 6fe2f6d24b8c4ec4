// A volume record and the export's reserved directory, as plain values (what they mean, and
// how they are written and read: nfs/volume_records.h). The pure core names them
// (provisioner/core/path_pattern.cpp, export_audit.h) without linking the client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nfsprov::nfs {

// The export's reserved directory (relative to the share).
inline constexpr std::string_view kReservedDirectory = ".nfs-provisioner";

struct VolumeRecord {
  std::string pv_name;          // "pvc-<claim uid>"
  std::string class_name;       // the StorageClass the volume was made for
  std::string directory;        // relative to the share
  std::int64_t written_ns = 0;  // the record's ctime (server clock); 0 when not read back
};

}  // namespace nfsprov::nfs
