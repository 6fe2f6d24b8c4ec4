// HandleCalls: NFSv3 calls by file handle (LOOKUP, GETATTR, MKDIR, SETATTR), made
// synchronously over a mounted libnfs context's own connection. libnfs's path API resolves
// every path again from the export's root, so walking a path d levels deep one prefix at a
// time cost d*(d+1)/2 LOOKUPs; by handle it costs d, and a directory is made inside the handle
// just looked up, so nothing a pod swaps in between (a symlink) is ever followed. An internal
// part of ExportClient: same thread rules, same error convention (a negative errno, as the
// libnfs calls it sits beside return, with the text in error()).
#pragma once

#include <nfsc/libnfs.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nfs/file_handle.h"
#include "nfs/values/export_address.h"

struct rpc_context;

namespace nfsprov::nfs {

// One entry of a directory, as READDIRPLUS gives it (never "." or "..").
struct HandleEntry {
  std::string name;
  FileHandle handle;       // empty when the server sent none
  nfs_stat_64 attributes;  // nfs_mode 0 when the server sent none
};

class HandleCalls {
 public:
  // nfs: a context; its connection, auth and timeout are used for every call (the calls by
  // handle need it mounted). cancel_fd (optional): a descriptor that becomes readable to end
  // every wait at once, the call under way and each later one, with -ECANCELED (the call is
  // then abandoned: the connection is not to be used again).
  explicit HandleCalls(nfs_context* nfs, int cancel_fd = -1);
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
  // created (when given) gets the link's own handle.
  int symlink(const FileHandle& dir, const std::string& name, const std::string& target,
              FileHandle* created = nullptr);
  // CREATE of a regular file name in dir with mode, GUARDED: -EEXIST when name exists.
  int create(const FileHandle& dir, const std::string& name, std::uint32_t mode,
             FileHandle& created);
  // READ of up to count bytes at offset, appended to data; eof set at the end of the file.
  int read(const FileHandle& file, std::uint64_t offset, std::uint32_t count,
           std::vector<char>& data, bool& eof);
  // WRITE (UNSTABLE: the server may keep it in memory until commit) of data at offset;
  // written is what the server took, which may be less.
  int write(const FileHandle& file, std::uint64_t offset, const char* data, std::uint32_t count,
            std::uint32_t& written, WriteVerifier& verifier);
  // COMMIT of everything written to each file so far, to stable storage: all sent at once, so
  // the server's syncs overlap. verifiers[i] is files[i]'s; the first failure is returned.
  int commit(const std::vector<FileHandle>& files, std::vector<WriteVerifier>& verifiers);
  // READLINK: the target a symlink holds.
  int readlink(const FileHandle& link, std::string& target);
  // REMOVE (a file, a symlink: never its target) and RMDIR of the entry name in dir.
  int remove(const FileHandle& dir, const std::string& name);
  int rmdir(const FileHandle& dir, const std::string& name);

  // A call of libnfs's by path (nfs_rename_async, nfs_statvfs64_async...): start(nfs, cb,
  // private_data) queues it, on_reply(data) reads its success; serviced like the calls by
  // handle (the same timeout, the same cancel), not counted in calls(). A failure returns
  // libnfs's negative errno, with its text in error().
  int run_by_path(const std::function<int(nfs_context*, nfs_cb, void*)>& start,
                  const std::function<int(void*)>& on_reply);

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
  // run's and run_by_path's common part: start(call) queues it.
  int run_call(const std::function<int(Call&)>& start, const std::function<int(void*)>& on_reply);

  // A call that makes an entry name in dir, with the new object's handle into *created.
  template <class Result, class GetOk>
  int make_entry(const std::function<int(rpc_context*, Call&)>& start, GetOk get_ok,
                 const FileHandle& dir, const std::string& name, FileHandle* created);

  nfs_context* nfs_;
  rpc_context* rpc_;
  int cancel_fd_;
  std::string error_;
  std::uint64_t calls_ = 0;
  // Calls given up on while still queued: their callbacks may yet run, so they live until the
  // context dies (ExportClient destroys the context first).
  std::vector<std::unique_ptr<Call>> abandoned_;
};

}  // namespace nfsprov::nfs
