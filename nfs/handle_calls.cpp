#include "nfs/handle_calls.h"

// libnfs-raw.h needs the types of libnfs.h and libnfs-zdr.h before it.
// clang-format off
#include <nfsc/libnfs-zdr.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>
// clang-format on
#include <poll.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace nfsprov::nfs {

struct HandleCalls::Call {
  bool done = false;
  int result = 0;
  std::string error;
  std::function<int(void*)> on_reply;
};

namespace {

void on_complete(rpc_context*, int status, void* data, void* private_data) {
  auto& call = *static_cast<HandleCalls::Call*>(private_data);
  call.done = true;
  if (status == RPC_STATUS_SUCCESS) {
    call.result = call.on_reply(data);
    return;
  }
  call.result = status == RPC_STATUS_TIMEOUT  ? -EINTR
                : status == RPC_STATUS_CANCEL ? -ECANCELED
                                              : -EIO;
  // On an error, data is the connection's own description of it.
  if (status == RPC_STATUS_ERROR && data) call.error = static_cast<const char*>(data);
}

nfs_fh3 view(const FileHandle& handle) {
  nfs_fh3 fh{};
  fh.data.data_len = static_cast<u_int>(handle.bytes.size());
  // The XDR encoder only reads it.
  fh.data.data_val = const_cast<char*>(handle.bytes.data());
  return fh;
}

// libnfs's tables give negative errnos already.
int from_status(nfsstat3 status) {
  const int err = nfsstat3_to_errno(static_cast<int>(status));
  return err < 0 ? err : -err;
}

// The entry name of dir, as LOOKUP, MKDIR, SYMLINK, REMOVE and RMDIR name it.
diropargs3 dirop(const FileHandle& dir, const std::string& name) {
  diropargs3 where{};
  where.dir = view(dir);
  where.name = const_cast<char*>(name.c_str());  // encoded, never written
  return where;
}

// A reply whose only news is its status.
template <class Result>
int status_of(void* data) {
  const auto& res = *static_cast<Result*>(data);
  return res.status == NFS3_OK ? 0 : from_status(res.status);
}

FileHandle copy(const char* data, u_int length) {
  return FileHandle{std::vector<char>(data, data + length)};
}

nfs_stat_64 to_stat(const fattr3& a) {
  nfs_stat_64 st{};
  std::uint64_t type = 0;
  switch (a.type) {
    case NF3DIR:
      type = S_IFDIR;
      break;
    case NF3REG:
      type = S_IFREG;
      break;
    case NF3LNK:
      type = S_IFLNK;
      break;
    case NF3BLK:
      type = S_IFBLK;
      break;
    case NF3CHR:
      type = S_IFCHR;
      break;
    case NF3SOCK:
      type = S_IFSOCK;
      break;
    case NF3FIFO:
      type = S_IFIFO;
      break;
  }
  st.nfs_mode = type | (a.mode & 07777);
  st.nfs_uid = a.uid;
  st.nfs_gid = a.gid;
  st.nfs_size = a.size;
  st.nfs_ino = a.fileid;
  st.nfs_nlink = a.nlink;
  st.nfs_ctime = a.ctime.seconds;
  st.nfs_ctime_nsec = a.ctime.nseconds;
  st.nfs_mtime = a.mtime.seconds;
  st.nfs_mtime_nsec = a.mtime.nseconds;
  st.nfs_atime = a.atime.seconds;
  st.nfs_atime_nsec = a.atime.nseconds;
  return st;
}

nfstime3 to_time(std::int64_t ns) {
  nfstime3 t{};
  // Before 1970 cannot be said in NFSv3's unsigned seconds: the epoch is the nearest.
  if (ns < 0) return t;
  t.seconds = static_cast<uint32_t>(ns / 1'000'000'000);
  t.nseconds = static_cast<uint32_t>(ns % 1'000'000'000);
  return t;
}

WriteVerifier to_verifier(const writeverf3 verf) {
  WriteVerifier v{};
  std::memcpy(v.data(), verf, v.size());
  return v;
}

struct RpcDeleter {
  void operator()(rpc_context* rpc) const { rpc_destroy_context(rpc); }
};

// Services rpc until call is done or deadline passes; false on a connection failure, the
// deadline or a cancel (cancel_fd readable; cancelled is then set), the call may then still be
// queued. The cancel fd is polled beside the connection: a cancel ends the wait at once.
bool service_until_done(rpc_context* rpc, const HandleCalls::Call& call,
                        std::optional<std::chrono::steady_clock::time_point> deadline,
                        int cancel_fd, std::string& error, bool& cancelled) {
  while (!call.done) {
    std::array<pollfd, 2> fds{pollfd{rpc_get_fd(rpc), static_cast<short>(rpc_which_events(rpc)), 0},
                              pollfd{cancel_fd, POLLIN, 0}};
    // Woken at least every 100 ms: rpc_service also times calls out (libnfs-raw.h).
    if (poll(fds.data(), cancel_fd < 0 ? 1 : 2, 100) < 0 && errno != EINTR) {
      error = std::string("poll: ") + std::strerror(errno);
      return false;
    }
    if (fds[1].revents != 0) {
      error = "cancelled: the caller stopped waiting for the answer";
      cancelled = true;
      return false;
    }
    if (rpc_service(rpc, fds[0].revents) < 0) {
      const char* text = rpc_get_error(rpc);
      error = text ? text : "the connection failed";
      return call.done;
    }
    if (deadline && std::chrono::steady_clock::now() > *deadline && !call.done) {
      error = "no answer in time";
      return false;
    }
  }
  return true;
}

// The callback of libnfs's calls by path (nfs_*_async): on an error, data is its text.
void on_nfs_complete(int err, nfs_context*, void* data, void* private_data) {
  auto& call = *static_cast<HandleCalls::Call*>(private_data);
  call.done = true;
  if (err >= 0) {
    call.result = call.on_reply(data);
    return;
  }
  // libnfs reports a failed RPC (a refused or lost connection) as -EFAULT to the callback;
  // its sync calls said -EIO, which is what it means: retryable.
  call.result = err == -EFAULT ? -EIO : err;
  if (data) call.error = static_cast<const char*>(data);
}

}  // namespace

HandleCalls::HandleCalls(nfs_context* nfs, int cancel_fd)
    : nfs_(nfs), rpc_(nfs_get_rpc_context(nfs)), cancel_fd_(cancel_fd) {}

HandleCalls::~HandleCalls() = default;

int HandleCalls::run(const std::function<int(rpc_context*, Call&)>& start,
                     const std::function<int(void*)>& on_reply) {
  ++calls_;
  return run_call([&](Call& call) { return start(rpc_, call); }, on_reply);
}

int HandleCalls::run_by_path(const std::function<int(nfs_context*, nfs_cb, void*)>& start,
                             const std::function<int(void*)>& on_reply) {
  return run_call([&](Call& call) { return start(nfs_, on_nfs_complete, &call); }, on_reply);
}

int HandleCalls::run_call(const std::function<int(Call&)>& start,
                          const std::function<int(void*)>& on_reply) {
  auto call = std::make_unique<Call>();
  call->on_reply = on_reply;
  error_.clear();
  if (start(*call) != 0) {
    const char* text = rpc_get_error(rpc_);
    error_ = text ? text : "the call could not be queued";
    return -EIO;
  }
  std::string failure;
  bool cancelled = false;
  if (!service_until_done(rpc_, *call, std::nullopt, cancel_fd_, failure, cancelled)) {
    error_ = failure;
    // Its reply may still come: it must then not write into the caller's dead locals.
    call->on_reply = [](void*) { return 0; };
    abandoned_.push_back(std::move(call));
    return cancelled ? -ECANCELED : -EIO;
  }
  if (!call->error.empty()) error_ = call->error;
  return call->result;
}

int HandleCalls::mount_root(const ExportAddress& address, FileHandle& root) {
  std::unique_ptr<rpc_context, RpcDeleter> rpc(rpc_init_context());
  if (!rpc) {
    error_ = "rpc_init_context failed";
    return -ENOMEM;
  }
  // Every way out resets rpc before the calls below go out of scope: a context destroyed
  // with a call queued still calls back into it.
  const auto deadline = std::chrono::steady_clock::now() + address.timeout;
  Call connect;
  connect.on_reply = [](void*) { return 0; };
  const int queued =
      address.mount_port > 0
          ? rpc_connect_async(rpc.get(), address.server.c_str(), address.mount_port, on_complete,
                              &connect)
          : rpc_connect_program_async(rpc.get(), address.server.c_str(), MOUNT_PROGRAM, MOUNT_V3,
                                      on_complete, &connect);
  std::string failure;
  bool cancelled = false;
  if (queued != 0 ||
      !service_until_done(rpc.get(), connect, deadline, cancel_fd_, failure, cancelled) ||
      connect.result != 0) {
    const char* text = rpc_get_error(rpc.get());
    error_ = "connecting to mountd: " + (!connect.error.empty() ? connect.error
                                         : !failure.empty()     ? failure
                                         : text                 ? text
                                                                : "");
    rpc.reset();
    return cancelled ? -ECANCELED : connect.result != 0 ? connect.result : -EIO;
  }
  Call mnt;
  std::string path = address.export_path;
  mnt.on_reply = [&](void* data) {
    const auto& res = *static_cast<mountres3*>(data);
    if (res.fhs_status != MNT3_OK) {
      const int err = mountstat3_to_errno(static_cast<int>(res.fhs_status));
      return err < 0 ? err : -err;
    }
    const auto& fh = res.mountres3_u.mountinfo.fhandle;
    root = copy(fh.fhandle3_val, fh.fhandle3_len);
    return 0;
  };
  ++calls_;
  if (rpc_mount3_mnt_async(rpc.get(), on_complete, path.data(), &mnt) != 0 ||
      !service_until_done(rpc.get(), mnt, deadline, cancel_fd_, failure, cancelled)) {
    error_ = "MOUNT " + path + ": " + (failure.empty() ? "could not be sent" : failure);
    rpc.reset();
    return cancelled ? -ECANCELED : -EIO;
  }
  if (mnt.result != 0) {
    error_ = "MOUNT " + path + " refused" + (mnt.error.empty() ? "" : ": " + mnt.error);
    rpc.reset();
    return mnt.result;
  }
  // The mount table is advisory in NFSv3, and libnfs's own MOUNT already holds an entry.
  Call umnt;
  umnt.on_reply = [](void*) { return 0; };
  if (rpc_mount3_umnt_async(rpc.get(), on_complete, path.data(), &umnt) == 0)
    service_until_done(rpc.get(), umnt, deadline, cancel_fd_, failure, cancelled);
  rpc.reset();
  return 0;
}

int HandleCalls::getattr(const FileHandle& object, nfs_stat_64& attributes) {
  return run(
      [&](rpc_context* rpc, Call& call) {
        GETATTR3args args{};
        args.object = view(object);
        return rpc_nfs3_getattr_async(rpc, on_complete, &args, &call);
      },
      [&](void* data) {
        const auto& res = *static_cast<GETATTR3res*>(data);
        if (res.status != NFS3_OK) return from_status(res.status);
        attributes = to_stat(res.GETATTR3res_u.resok.obj_attributes);
        return 0;
      });
}

int HandleCalls::lookup(const FileHandle& dir, const std::string& name, FileHandle& object,
                        nfs_stat_64& attributes) {
  bool have_attributes = false;
  const int rc = run(
      [&](rpc_context* rpc, Call& call) {
        LOOKUP3args args{};
        args.what = dirop(dir, name);
        return rpc_nfs3_lookup_async(rpc, on_complete, &args, &call);
      },
      [&](void* data) {
        const auto& res = *static_cast<LOOKUP3res*>(data);
        if (res.status != NFS3_OK) return from_status(res.status);
        const auto& ok = res.LOOKUP3res_u.resok;
        object = copy(ok.object.data.data_val, ok.object.data.data_len);
        if (ok.obj_attributes.attributes_follow) {
          attributes = to_stat(ok.obj_attributes.post_op_attr_u.attributes);
          have_attributes = true;
        }
        return 0;
      });
  // Attributes are optional in a LOOKUP reply; every server we know sends them.
  if (rc == 0 && !have_attributes) return getattr(object, attributes);
  return rc;
}

// MKDIR, CREATE and SYMLINK: the new object's handle is optional in the reply; every server we
// know sends it, and without it a LOOKUP finds it.
template <class Result, class GetOk>
int HandleCalls::make_entry(const std::function<int(rpc_context*, Call&)>& start, GetOk get_ok,
                            const FileHandle& dir, const std::string& name, FileHandle* created) {
  bool have_handle = false;
  const int rc = run(start, [&](void* data) {
    const auto& res = *static_cast<Result*>(data);
    if (res.status != NFS3_OK) return from_status(res.status);
    const post_op_fh3& obj = get_ok(res).obj;
    if (created && obj.handle_follows) {
      *created =
          copy(obj.post_op_fh3_u.handle.data.data_val, obj.post_op_fh3_u.handle.data.data_len);
      have_handle = true;
    }
    return 0;
  });
  if (rc == 0 && created && !have_handle) {
    nfs_stat_64 ignored{};
    return lookup(dir, name, *created, ignored);
  }
  return rc;
}

int HandleCalls::mkdir(const FileHandle& dir, const std::string& name, std::uint32_t mode,
                       FileHandle& created) {
  return make_entry<MKDIR3res>(
      [&](rpc_context* rpc, Call& call) {
        MKDIR3args args{};
        args.where = dirop(dir, name);
        args.attributes.mode.set_it = 1;
        args.attributes.mode.set_mode3_u.mode = mode & 07777;
        return rpc_nfs3_mkdir_async(rpc, on_complete, &args, &call);
      },
      [](const MKDIR3res& res) -> const MKDIR3resok& { return res.MKDIR3res_u.resok; }, dir, name,
      &created);
}

int HandleCalls::setattr(const FileHandle& object, const SetAttributes& change) {
  return run(
      [&](rpc_context* rpc, Call& call) {
        SETATTR3args args{};
        args.object = view(object);
        if (change.mode) {
          args.new_attributes.mode.set_it = 1;
          args.new_attributes.mode.set_mode3_u.mode = *change.mode & 07777;
        }
        if (change.uid) {
          args.new_attributes.uid.set_it = 1;
          args.new_attributes.uid.set_uid3_u.uid = *change.uid;
        }
        if (change.gid) {
          args.new_attributes.gid.set_it = 1;
          args.new_attributes.gid.set_gid3_u.gid = *change.gid;
        }
        if (change.accessed_ns) {
          args.new_attributes.atime.set_it = SET_TO_CLIENT_TIME;
          args.new_attributes.atime.set_atime_u.atime = to_time(*change.accessed_ns);
        }
        if (change.modified_ns) {
          args.new_attributes.mtime.set_it = SET_TO_CLIENT_TIME;
          args.new_attributes.mtime.set_mtime_u.mtime = to_time(*change.modified_ns);
        }
        return rpc_nfs3_setattr_async(rpc, on_complete, &args, &call);
      },
      status_of<SETATTR3res>);
}

int HandleCalls::read_directory(const FileHandle& dir, std::vector<HandleEntry>& entries) {
  entries.clear();
  cookie3 cookie = 0;
  char verifier[NFS3_COOKIEVERFSIZE] = {};
  for (bool eof = false; !eof;) {
    const int rc = run(
        [&](rpc_context* rpc, Call& call) {
          READDIRPLUS3args args{};
          args.dir = view(dir);
          args.cookie = cookie;
          std::memcpy(args.cookieverf, verifier, sizeof verifier);
          // Names and attributes per reply: what libnfs's own readdir asks for.
          args.dircount = 8192;
          args.maxcount = 65536;
          return rpc_nfs3_readdirplus_async(rpc, on_complete, &args, &call);
        },
        [&](void* data) {
          const auto& res = *static_cast<READDIRPLUS3res*>(data);
          if (res.status != NFS3_OK) return from_status(res.status);
          const auto& ok = res.READDIRPLUS3res_u.resok;
          std::memcpy(verifier, ok.cookieverf, sizeof verifier);
          // libnfs 4.0.0 decodes the entries into memory aligned to XDR's 4 bytes, and an
          // entryplus3 (its 64-bit cookie) needs 8: each is read through an aligned copy
          // (UBSan: misaligned member access; ARM's 64-bit loads may fault on it).
          for (const entryplus3* next = ok.reply.entries; next;) {
            entryplus3 aligned{};
            std::memcpy(&aligned, next, sizeof aligned);
            const entryplus3* const e = &aligned;
            next = e->nextentry;
            cookie = e->cookie;
            const std::string name = e->name ? e->name : "";
            if (name.empty() || name == "." || name == "..") continue;
            HandleEntry entry{name, {}, {}};
            if (e->name_handle.handle_follows)
              entry.handle = copy(e->name_handle.post_op_fh3_u.handle.data.data_val,
                                  e->name_handle.post_op_fh3_u.handle.data.data_len);
            if (e->name_attributes.attributes_follow)
              entry.attributes = to_stat(e->name_attributes.post_op_attr_u.attributes);
            entries.push_back(std::move(entry));
          }
          eof = ok.reply.eof != 0;
          // A page without entries and without eof would loop forever: take it as the end.
          if (!ok.reply.entries) eof = true;
          return 0;
        });
    if (rc < 0) return rc;
  }
  return 0;
}

int HandleCalls::symlink(const FileHandle& dir, const std::string& name, const std::string& target,
                         FileHandle* created) {
  return make_entry<SYMLINK3res>(
      [&](rpc_context* rpc, Call& call) {
        SYMLINK3args args{};
        args.where = dirop(dir, name);
        args.symlink.symlink_attributes.mode.set_it = 1;
        args.symlink.symlink_attributes.mode.set_mode3_u.mode = 0777;
        args.symlink.symlink_data = const_cast<char*>(target.c_str());
        return rpc_nfs3_symlink_async(rpc, on_complete, &args, &call);
      },
      [](const SYMLINK3res& res) -> const SYMLINK3resok& { return res.SYMLINK3res_u.resok; }, dir,
      name, created);
}

int HandleCalls::create(const FileHandle& dir, const std::string& name, std::uint32_t mode,
                        FileHandle& created) {
  return make_entry<CREATE3res>(
      [&](rpc_context* rpc, Call& call) {
        CREATE3args args{};
        args.where = dirop(dir, name);
        args.how.mode = GUARDED;
        args.how.createhow3_u.obj_attributes.mode.set_it = 1;
        args.how.createhow3_u.obj_attributes.mode.set_mode3_u.mode = mode & 07777;
        return rpc_nfs3_create_async(rpc, on_complete, &args, &call);
      },
      [](const CREATE3res& res) -> const CREATE3resok& { return res.CREATE3res_u.resok; }, dir,
      name, &created);
}

int HandleCalls::read(const FileHandle& file, std::uint64_t offset, std::uint32_t count,
                      std::vector<char>& data, bool& eof) {
  return run(
      [&](rpc_context* rpc, Call& call) {
        READ3args args{};
        args.file = view(file);
        args.offset = offset;
        args.count = count;
        return rpc_nfs3_read_async(rpc, on_complete, &args, &call);
      },
      [&](void* reply) {
        const auto& res = *static_cast<READ3res*>(reply);
        if (res.status != NFS3_OK) return from_status(res.status);
        const auto& ok = res.READ3res_u.resok;
        // The reply's buffer lives only as long as this callback.
        data.insert(data.end(), ok.data.data_val, ok.data.data_val + ok.data.data_len);
        eof = ok.eof != 0;
        return 0;
      });
}

int HandleCalls::write(const FileHandle& file, std::uint64_t offset, const char* data,
                       std::uint32_t count, std::uint32_t& written, WriteVerifier& verifier) {
  return run(
      [&](rpc_context* rpc, Call& call) {
        WRITE3args args{};
        args.file = view(file);
        args.offset = offset;
        args.count = count;
        args.stable = UNSTABLE;
        args.data.data_len = count;
        args.data.data_val = const_cast<char*>(data);  // encoded, never written
        return rpc_nfs3_write_async(rpc, on_complete, &args, &call);
      },
      [&](void* reply) {
        const auto& res = *static_cast<WRITE3res*>(reply);
        if (res.status != NFS3_OK) return from_status(res.status);
        written = res.WRITE3res_u.resok.count;
        verifier = to_verifier(res.WRITE3res_u.resok.verf);
        return 0;
      });
}

int HandleCalls::commit(const std::vector<FileHandle>& files,
                        std::vector<WriteVerifier>& verifiers) {
  verifiers.assign(files.size(), WriteVerifier{});
  error_.clear();
  std::vector<std::unique_ptr<Call>> calls;
  int rc = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto call = std::make_unique<Call>();
    call->on_reply = [&verifiers, i](void* reply) {
      const auto& res = *static_cast<COMMIT3res*>(reply);
      if (res.status != NFS3_OK) return from_status(res.status);
      verifiers[i] = to_verifier(res.COMMIT3res_u.resok.verf);
      return 0;
    };
    ++calls_;
    COMMIT3args args{};
    args.file = view(files[i]);  // offset 0, count 0: the whole file
    if (rpc_nfs3_commit_async(rpc_, on_complete, &args, call.get()) != 0) {
      const char* text = rpc_get_error(rpc_);
      error_ = text ? text : "the call could not be queued";
      rc = -EIO;
      break;
    }
    calls.push_back(std::move(call));
  }
  std::string failure;
  bool cancelled = false;
  for (auto& call : calls) {
    if (service_until_done(rpc_, *call, std::nullopt, cancel_fd_, failure, cancelled)) continue;
    error_ = failure;
    // Replies may still come: they must then not write into the caller's dead vector.
    for (auto& pending : calls) {
      if (pending->done) continue;
      pending->on_reply = [](void*) { return 0; };
      abandoned_.push_back(std::move(pending));
    }
    return cancelled ? -ECANCELED : -EIO;
  }
  for (const auto& call : calls) {
    if (call->result == 0 || rc != 0) continue;
    rc = call->result;
    if (!call->error.empty()) error_ = call->error;
  }
  return rc;
}

int HandleCalls::readlink(const FileHandle& link, std::string& target) {
  return run(
      [&](rpc_context* rpc, Call& call) {
        READLINK3args args{};
        args.symlink = view(link);
        return rpc_nfs3_readlink_async(rpc, on_complete, &args, &call);
      },
      [&](void* reply) {
        const auto& res = *static_cast<READLINK3res*>(reply);
        if (res.status != NFS3_OK) return from_status(res.status);
        target = res.READLINK3res_u.resok.data ? res.READLINK3res_u.resok.data : "";
        return 0;
      });
}

int HandleCalls::remove(const FileHandle& dir, const std::string& name) {
  return run(
      [&](rpc_context* rpc, Call& call) {
        REMOVE3args args{};
        args.object = dirop(dir, name);
        return rpc_nfs3_remove_async(rpc, on_complete, &args, &call);
      },
      status_of<REMOVE3res>);
}

int HandleCalls::rmdir(const FileHandle& dir, const std::string& name) {
  return run(
      [&](rpc_context* rpc, Call& call) {
        RMDIR3args args{};
        args.object = dirop(dir, name);
        return rpc_nfs3_rmdir_async(rpc, on_complete, &args, &call);
      },
      status_of<RMDIR3res>);
}

}  // namespace nfsprov::nfs
