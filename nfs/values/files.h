// What the export's operations take and give: a file's type and attributes, the export's
// space, how a directory is made. Plain values, no libnfs: the pure core plans with them
// (provisioner/core/volume_planner.h, capacity_policy.h) without linking the client.
#pragma once

#include <cstdint>
#include <optional>

namespace nfsprov::nfs {

enum class FileType { directory, regular, symlink, other };

struct FileInfo {
  FileType type = FileType::other;
  std::uint32_t mode = 0;  // permission bits only (07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0;
  // Last status change (ctime) by the server's clock, in ns since the epoch: comparable
  // between files of one server, never with our own clock.
  std::int64_t changed_ns = 0;
  // Last modification and access (mtime, atime), likewise by the server's clock.
  std::int64_t modified_ns = 0;
  std::int64_t accessed_ns = 0;
};

struct ExportUsage {
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;
  std::uint64_t available_bytes = 0;  // what an unprivileged writer may still use
};

struct CreateOptions {
  std::uint32_t mode = 0777;  // applied exactly, no umask
  // Unset: the owner the server gives (root, or nobody on a root_squash export).
  // Initialised so designated initialisers ({.mode = 0750}) compile warning-free.
  std::optional<std::uint32_t> uid = std::nullopt;
  std::optional<std::uint32_t> gid = std::nullopt;
  // The last directory must not exist yet: if it does, fail with EEXIST and change nothing
  // (a directory not made for this volume is never re-permissioned or re-owned).
  bool must_be_new = false;
};

}  // namespace nfsprov::nfs
