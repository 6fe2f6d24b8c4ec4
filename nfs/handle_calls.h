// HandleCalls: NFSv3 calls by file handle (LOOKUP, GETATTR, MKDIR, SETATTR), made
// synchronously over a mounted libnfs context's own connection. libnfs's path API resolves
// every path again from the export's root, so walking a path d levels deep one prefix at a
// time cost d*(d+1)/2 LOOKUPs; by handle it costs d, and a directory is made inside the handle
// just looked up, so nothing a pod swaps in between (a symlink) is ever followed. An internal
// part of ExportClient: same thread rules, same error convention (a negative errno, as the
// libnfs calls it sits beside return, with the text in error()).
#pragma once

#include <nfsc/libnfs.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nfs/export_address.h"

struct rpc_context;

namespace nfsprov::nfs {

// An NFSv3 file handle: opaque bytes from the server, at most 64 of them.
struct FileHandle {
  std::vector<char> bytes;
};

// Initialised so designated initialisers ({.mode = 0750}) compile warning-free.
struct SetAttributes {
  std::optional<std::uint32_t> mode = std::nullopt;  // permission bits (07777)
  std::optional<std::uint32_t> uid = std::nullopt;
  std::optional<std::uint32_t> gid = std::nullopt;
};

// One entry of a directory, as READDIRPLUS gives it (never "." or "..").
struct HandleEntry {
  std::string name;
  FileHandle handle;       // empty when the server sent none
  nfs_stat_64 attributes;  // nfs_mode 0 when the server sent none
};

class HandleCalls {
 public:
  // nfs: a mounted context; its connection, auth and timeout are used for every call.
  explicit HandleCalls(nfs_context* nfs);
  ~HandleCalls();
  HandleCalls(const HandleCalls&) = delete;
  HandleCalls& operator=(const HandleCalls&) = delete;

  // The export's root handle, which libnfs keeps to itself: a MOUNT of address.export_path
  // on a short connection of its own (to address.mount_port, or the one the portmapper
  // names), then UMNT. Gives up after address.timeout.
  int mount_root(const ExportAddress& address, FileHandle& root);
  int getattr(const FileHandle& object, nfs_stat_64& attributes);
  // -ENOENT when dir has no entry name. A symlink is returned as the link itself.
  int lookup(const FileHandle& dir, const std::string& name, FileHandle& object,
             nfs_stat_64& attributes);
  int mkdir(const FileHandle& dir, const std::string& name, std::uint32_t mode,
            FileHandle& created);
  int setattr(const FileHandle& object, const SetAttributes& change);
  // Every entry of dir, page by page.
  int read_directory(const FileHandle& dir, std::vector<HandleEntry>& entries);
  // A symlink name in dir holding target (mode 0777, as every symlink).
  int symlink(const FileHandle& dir, const std::string& name, const std::string& target);
  // REMOVE (a file, a symlink: never its target) and RMDIR of the entry name in dir.
  int remove(const FileHandle& dir, const std::string& name);
  int rmdir(const FileHandle& dir, const std::string& name);

  // The server's or the connection's words for the last failure.
  const std::string& error() const { return error_; }
  // RPCs sent by handle so far: what the cost of a path is measured in.
  std::uint64_t calls() const { return calls_; }

  struct Call;  // one call in flight, defined in the .cpp

 private:
  // Queues a call with start(rpc, callback, call) and services the connection until it
  // completes; libnfs's per-call timeout (nfs_set_timeout) guarantees that it does.
  int run(const std::function<int(rpc_context*, Call&)>& start,
          const std::function<int(void* result)>& on_reply);

  rpc_context* rpc_;
  std::string error_;
  std::uint64_t calls_ = 0;
  // Calls given up on while still queued: their callbacks may yet run, so they live until the
  // context dies (ExportClient destroys the context first).
  std::vector<std::unique_ptr<Call>> abandoned_;
};

}  // namespace nfsprov::nfs
