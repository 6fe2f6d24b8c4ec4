// ExportClient: one libnfs context, connected over NFSv3 to one export. Not thread-safe by
// design (libnfs 4.0.0 has no thread support): one thread uses it at a time; ExportPool
// hands clients to workers.
#pragma once

#include <chrono>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/export_files.h"
#include "nfs/file_handle.h"
#include "nfs/nfs_error.h"
#include "nfs/nfs_observer.h"
#include "nfs/values/export_address.h"

namespace nfsprov::nfs {

// A file, directory or symlink of an export named by its NFS file handle. Walking a whole tree
// (copying a volume) goes from handle to handle: a name a pod renames, or swaps for a symlink,
// while the walk is under way never redirects it elsewhere, and nothing is resolved twice.
struct Node {
  FileHandle handle;
  FileInfo info;
  std::string path;  // relative to the export root, for messages only
};

// Asked before every change an ExportClient makes on the server (mkdir, chmod, chown, rename,
// unlink, rmdir): false refuses it with ECANCELED and nothing sent. A replica that lost its
// leadership (controller::LeaseFence) thereby cannot touch a directory another one adopted.
// Empty: every change is allowed.
using WriteFence = std::function<bool()>;

// All paths are relative to the export root ("a/b/c"). They are validated before any RPC;
// mutating operations never act on the export root itself, and no symlink on the server
// is ever followed.
class ExportClient : public ExportFiles {
 public:
  // Connects (mount) at once; throws NfsError on failure, within the address's timeouts, or
  // at once with ECANCELED when stop is requested meanwhile.
  // observer (optional) is told about every operation, see nfs_observer.h.
  explicit ExportClient(ExportAddress address, NfsObserver observer = {},
                        std::stop_token stop = {});
  // Unmounts (unless cancelled or unhealthy), waiting at most kUnmountTimeout for the server.
  ~ExportClient() override;
  static constexpr std::chrono::milliseconds kUnmountTimeout{300};
  ExportClient(const ExportClient&) = delete;
  ExportClient& operator=(const ExportClient&) = delete;

  const ExportAddress& address() const override;

  // From any thread, while the client lives: the call under way ends at once with an NfsError
  // ECANCELED (not retryable; its outcome on the server is unknown, as after a timeout), and
  // so does every later one. The client is unhealthy from then on. What a std::stop_callback
  // calls: a stopping provisioner does not wait out the timeout of a frozen server.
  void cancel();

  // From now on every change asks fence first (see WriteFence).
  void set_write_fence(WriteFence fence);

  // mkdir -p with an exact mode on every directory it creates (and chmod/chown of the last
  // one). An existing directory is success (its mode and owner are set again); an existing
  // non-directory is an error (EEXIST), an existing symlink anywhere on the path too (ELOOP).
  // When the server refuses to set mode or owner (EPERM, say), the directories this call
  // created are removed again, if the fence allows. After an unknown outcome (a timeout, a lost
  // connection) they are left: another worker or replica may have adopted them meanwhile, and
  // a retry sets mode and owner again.
  void create_directory(std::string_view path, const CreateOptions& options = {}) override;
  // Renames path to new_path; fails with EEXIST when new_path exists, ENOENT when path does
  // not (a retry after a lost reply: check exists(new_path)).
  void rename(std::string_view path, std::string_view new_path) override;
  // Removes path and everything below it; symlinks are removed, never followed.
  // Returns false when path did not exist (a retried delete is a success).
  bool remove_tree(std::string_view path) override;
  // A symlink at path holding target (never followed by us; a record, see volume_records.h).
  // EEXIST when path exists; its parent must exist.
  void create_symlink(std::string_view path, std::string_view target) override;
  // The target of the symlink at path; nullopt when path does not exist, EINVAL when it is
  // not a symlink.
  std::optional<std::string> read_symlink(std::string_view path) override;
  // Unlinks a file or symlink; false when path did not exist, EISDIR for a directory.
  bool remove_file(std::string_view path) override;
  // lstat: nullopt when the path does not exist. "" is the export root.
  std::optional<FileInfo> stat(std::string_view path) override;
  bool exists(std::string_view path) override;
  ExportUsage usage() override;  // statvfs of the export
  // Names in a directory, without "." and ".."; "" lists the export root.
  std::vector<std::string> list(std::string_view path) override;

  // By handle (see Node). Every change asks the write fence first, like the calls by path.
  // The node at path, its final component not followed when it is a symlink; nullopt when
  // the path does not exist.
  std::optional<Node> node(std::string_view path);
  // The entries of a directory (never "." or ".."), sorted by name. A name that could not be
  // one on a POSIX server (with a '/') is left out.
  std::vector<Node> children(const Node& dir);
  // Up to max bytes of a regular file from offset, appended to data; false at its end.
  bool read(const Node& file, std::uint64_t offset, std::uint32_t max, std::vector<char>& data);
  // The target a symlink holds, as it holds it (never resolved).
  std::string link_target(const Node& link);
  // A new directory, regular file or symlink name in dir: EEXIST when name exists.
  Node make_directory(const Node& dir, const std::string& name, std::uint32_t mode);
  Node make_file(const Node& dir, const std::string& name, std::uint32_t mode);
  Node make_symlink(const Node& dir, const std::string& name, const std::string& target);
  // All of data at offset (UNSTABLE: see commit); the verifier of the last write.
  WriteVerifier write(const Node& file, std::uint64_t offset, const char* data, std::size_t size);
  // Everything written to each file, to the server's disk, in one round of overlapping calls;
  // the server's verifier for each, which differs from its writes' when the server restarted
  // in between (the data may then be lost: write it again).
  std::vector<WriteVerifier> commit(const std::vector<Node>& files);
  void set_attributes(const Node& node, const SetAttributes& change);
  // Removes entry of dir: a file or symlink, or a directory with everything below it.
  void remove(const Node& dir, const Node& entry);
  // The largest READ and WRITE the server takes, at most 1 MiB: a copy's chunk size.
  std::uint32_t transfer_size() const;

  // RPCs sent by file handle so far (every walk's LOOKUPs, the MKDIRs and SETATTRs of a
  // create): what the tests and benchmarks measure a path's cost in.
  std::uint64_t handle_calls() const;
  // False after a retryable error (timeout, EIO, lost connection) or a cancel: the pool then
  // drops this client and connects a new one.
  bool healthy() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nfsprov::nfs
