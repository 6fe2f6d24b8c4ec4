// ExportFiles: the operations by path on one export that the controller and the volume records
// use. ExportClient is the real one (libnfs, NFSv3); the unit tests use an in-memory export
// (test/fakes/fake_volume_store.h). The walks by file handle (a clone's copy) stay on
// ExportClient: they need a real server to mean anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/export_address.h"

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

// Paths are relative to the export root ("a/b/c"); failures throw NfsError (or PathError for
// a path that may not be used). ExportClient's declarations say what each call does exactly;
// an implementation behaves alike, errno for errno.
class ExportFiles {
 public:
  virtual ~ExportFiles() = default;

  virtual const ExportAddress& address() const = 0;
  // mkdir -p, mode and owner set on the last directory; EEXIST with options.must_be_new.
  virtual void create_directory(std::string_view path, const CreateOptions& options = {}) = 0;
  // EEXIST when new_path exists, ENOENT when path does not.
  virtual void rename(std::string_view path, std::string_view new_path) = 0;
  // False when path did not exist.
  virtual bool remove_tree(std::string_view path) = 0;
  // EEXIST when path exists; its parent must exist.
  virtual void create_symlink(std::string_view path, std::string_view target) = 0;
  // nullopt when path does not exist, EINVAL when it is not a symlink.
  virtual std::optional<std::string> read_symlink(std::string_view path) = 0;
  // False when path did not exist, EISDIR for a directory.
  virtual bool remove_file(std::string_view path) = 0;
  // lstat: nullopt when the path does not exist. "" is the export root.
  virtual std::optional<FileInfo> stat(std::string_view path) = 0;
  virtual bool exists(std::string_view path) = 0;
  virtual ExportUsage usage() = 0;  // statvfs of the export
  // Names in a directory, without "." and ".."; "" lists the export root.
  virtual std::vector<std::string> list(std::string_view path) = 0;

 protected:
  ExportFiles() = default;
  ExportFiles(const ExportFiles&) = default;
  ExportFiles& operator=(const ExportFiles&) = default;
};

}  // namespace nfsprov::nfs
