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

#include "nfs/values/export_address.h"
#include "nfs/values/files.h"

namespace nfsprov::nfs {

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
