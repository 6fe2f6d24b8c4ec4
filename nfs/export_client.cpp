#include "nfs/export_client.h"

#include <nfsc/libnfs-raw-nfs.h>
#include <nfsc/libnfs.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <type_traits>
#include <utility>

#include "nfs/handle_calls.h"
#include "nfs/relative_path.h"

namespace nfsprov::nfs {
namespace {

struct ContextDeleter {
  void operator()(nfs_context* nfs) const { nfs_destroy_context(nfs); }
};
struct UrlDeleter {
  void operator()(nfs_url* url) const { nfs_destroy_url(url); }
};

// ExportClient::cancel's signal: readable once written, for good; polled beside the
// connection by every call (HandleCalls).
class CancelSignal {
 public:
  CancelSignal() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), error_(fd_ < 0 ? errno : 0) {}
  ~CancelSignal() {
    if (fd_ >= 0) ::close(fd_);
  }
  CancelSignal(const CancelSignal&) = delete;
  CancelSignal& operator=(const CancelSignal&) = delete;
  int fd() const { return fd_; }
  int error() const { return error_; }  // eventfd's errno when fd() < 0
  // Any thread; async-signal-safe.
  void raise() {
    raised_ = true;
    const std::uint64_t one = 1;
    if (fd_ >= 0 && ::write(fd_, &one, sizeof one) < 0) {
      // Only a counter at its maximum fails, and it is readable then.
    }
  }
  bool raised() const { return raised_; }

 private:
  int fd_;
  int error_;
  std::atomic<bool> raised_{false};
};

bool is_dir(const nfs_stat_64& st) {
  return S_ISDIR(st.nfs_mode);
}
bool is_link(const nfs_stat_64& st) {
  return S_ISLNK(st.nfs_mode);
}

FileInfo to_info(const nfs_stat_64& st) {
  FileInfo info;
  if (S_ISDIR(st.nfs_mode)) {
    info.type = FileType::directory;
  } else if (S_ISREG(st.nfs_mode)) {
    info.type = FileType::regular;
  } else if (S_ISLNK(st.nfs_mode)) {
    info.type = FileType::symlink;
  }
  info.mode = static_cast<std::uint32_t>(st.nfs_mode & 07777);
  info.uid = static_cast<std::uint32_t>(st.nfs_uid);
  info.gid = static_cast<std::uint32_t>(st.nfs_gid);
  info.size = st.nfs_size;
  const auto ns = [](std::uint64_t seconds, std::uint64_t nanoseconds) {
    return static_cast<std::int64_t>(seconds) * 1'000'000'000 +
           static_cast<std::int64_t>(nanoseconds);
  };
  info.changed_ns = ns(st.nfs_ctime, st.nfs_ctime_nsec);
  info.modified_ns = ns(st.nfs_mtime, st.nfs_mtime_nsec);
  info.accessed_ns = ns(st.nfs_atime, st.nfs_atime_nsec);
  return info;
}

}  // namespace

struct ExportClient::Impl {
  ExportAddress address;
  NfsObserver observer;
  WriteFence fence;
  // First, so closed last: every call polls it until the context is gone.
  CancelSignal cancel;
  // Before nfs, so destroyed after it: a call it gave up on may be called back until then.
  std::unique_ptr<HandleCalls> handles;
  std::unique_ptr<nfs_context, ContextDeleter> nfs;
  FileHandle root;
  bool mounted = false;
  bool healthy = true;

  nfs_context* ctx() const { return nfs.get(); }

  // Failures the server did not report (a symlink found, a file in the way) are not
  // connection trouble, so they never mark the client unhealthy unless retryable.
  [[noreturn]] void fail_errno(std::string_view op, const RelativePath& path, int err,
                               const std::string& detail) {
    NfsError e(std::string(op), path.str(), address.display(), err, detail);
    if (e.retryable()) healthy = false;
    throw e;
  }

  [[noreturn]] void fail_handle(std::string_view op, const RelativePath& path, int rc) {
    std::string detail = handles->error();
    // A stale handle (the export was re-created) only a new mount (a new root) cures; after a
    // cancel the connection still carries the call given up on.
    if (rc == -ESTALE || rc == -ECANCELED) healthy = false;
    if (rc == -EINTR)
      detail =
          "no answer within " + std::to_string(address.timeout.count()) + " ms (" + detail + ")";
    fail_errno(op, path, rc < 0 ? -rc : EIO, detail);
  }

  bool may_write() const { return !fence || fence(); }
  // Before every change on the server.
  void check_fence(std::string_view op, const RelativePath& path) {
    if (!may_write())
      fail_errno(op, path, ECANCELED, "changes are fenced off (this replica no longer leads)");
  }

  void report(std::string_view op, std::chrono::steady_clock::time_point start, int err) {
    if (!observer) return;
    try {
      observer(address, op, std::chrono::steady_clock::now() - start, err);
    } catch (...) {
      // Metrics must never turn a successful NFS operation into a failed one.
    }
  }

  template <class F>
  auto observed(std::string_view op, F&& f) -> decltype(f()) {
    const auto start = std::chrono::steady_clock::now();
    try {
      if constexpr (std::is_void_v<decltype(f())>) {
        f();
        report(op, start, 0);
      } else {
        auto result = f();
        report(op, start, 0);
        return result;
      }
    } catch (const NfsError& e) {
      report(op, start, e.error_number());
      throw;
    } catch (const PathError&) {
      report(op, start, EINVAL);
      throw;
    }
  }

  struct Walk {
    std::size_t existing = 0;         // leading components that exist
    std::optional<nfs_stat_64> last;  // attributes of the deepest existing one
    // Handles of the root and of each existing component: handles[existing] is the deepest.
    std::vector<FileHandle> handles;
  };

  // One LOOKUP per component, each inside the handle of the one before: linear in the depth,
  // and a symlink is seen (never followed) where it stands. Only then is the path handed to a
  // libnfs call, which resolves it again (once: linear too).
  Walk walk(const RelativePath& path, bool allow_final_symlink) {
    Walk w;
    w.handles.push_back(root);
    const auto& names = path.components();
    const std::size_t n = names.size();
    if (n == 0) {
      nfs_stat_64 st{};
      if (const int rc = handles->getattr(root, st); rc < 0) fail_handle("getattr", path, rc);
      w.last = st;
      return w;
    }
    for (std::size_t i = 1; i <= n; ++i) {
      FileHandle fh;
      nfs_stat_64 st{};
      const int rc = handles->lookup(w.handles.back(), names[i - 1], fh, st);
      if (rc == -ENOENT) break;
      if (rc < 0) fail_handle("lookup", path.prefix(i), rc);
      if (is_link(st) && !(i == n && allow_final_symlink))
        fail_errno("lstat", path, ELOOP,
                   "'" + path.prefix(i).str() +
                       "' is a symlink on the server; symlinks are never followed");
      if (i < n && !is_dir(st))
        fail_errno("lstat", path, ENOTDIR, "'" + path.prefix(i).str() + "' is not a directory");
      w.existing = i;
      w.last = st;
      w.handles.push_back(std::move(fh));
    }
    return w;
  }

  void create(const RelativePath& path, const CreateOptions& options) {
    const auto& names = path.components();
    const std::size_t n = names.size();
    const Walk w = walk(path, false);
    if (w.existing == n && !is_dir(*w.last))
      fail_errno("mkdir", path, EEXIST, "exists and is not a directory");
    if (w.existing == n && options.must_be_new)
      fail_errno("mkdir", path, EEXIST, "exists already and was not made by this call");
    const std::uint32_t mode = options.mode & 07777;
    // Each directory is made inside the handle of its parent: linear in the depth.
    FileHandle current = w.handles.back();
    std::vector<std::pair<RelativePath, FileHandle>> created;
    try {
      for (std::size_t i = w.existing + 1; i <= n; ++i) {
        const RelativePath dir = path.prefix(i);
        check_fence("mkdir", dir);
        FileHandle made;
        const int rc = handles->mkdir(current, names[i - 1], mode, made);
        if (rc == -EEXIST) {
          if (i == n && options.must_be_new)
            fail_errno("mkdir", dir, EEXIST, "exists already and was not made by this call");
          // A concurrent creator, or our own earlier try whose reply was lost.
          nfs_stat_64 st{};
          const int found = handles->lookup(current, names[i - 1], made, st);
          if (found == 0 && is_dir(st) && !is_link(st)) {
            current = std::move(made);
            continue;
          }
          fail_errno("mkdir", dir, EEXIST, "exists and is not a directory");
        }
        if (rc < 0) fail_handle("mkdir", dir, rc);
        created.emplace_back(dir, made);
        current = std::move(made);
      }
      // mkdir's mode can lose setgid/sticky bits on some servers; SETATTR states it exactly.
      for (std::size_t i = 0; i + 1 < created.size(); ++i)
        set_attributes(created[i].first, created[i].second, {.mode = mode});
      set_attributes(path, current, {.mode = mode, .uid = options.uid, .gid = options.gid});
    } catch (const NfsError& e) {
      // Never leave a half-made volume: undo what this call made, deepest first, but only
      // when the server said no. After a timeout the call may still have been carried out,
      // and while we waited (frozen, say) another replica may have taken over and bound a
      // PV to the directory: removing "ours" would remove theirs.
      // A cancelled call's outcome is unknown too (and the client then makes no more calls).
      if (!e.retryable() && healthy)
        for (auto it = created.rbegin(); it != created.rend() && may_write(); ++it)
          by_path([&](nfs_context* nfs, nfs_cb cb, void* data) {
            return nfs_rmdir_async(nfs, it->first.nfs_path().c_str(), cb, data);
          });
      throw;
    }
  }

  // One of libnfs's calls by path, serviced by handles (so a cancel ends it): its result, a
  // negative errno on failure (the text in handles->error()).
  int by_path(const std::function<int(nfs_context*, nfs_cb, void*)>& start,
              const std::function<void(void*)>& on_reply = {}) {
    return handles->run_by_path(start, [&](void* data) {
      if (on_reply) on_reply(data);
      return 0;
    });
  }

  void set_attributes(const RelativePath& dir, const FileHandle& handle,
                      const SetAttributes& change) {
    check_fence(change.uid || change.gid ? "chown" : "chmod", dir);
    const int rc = handles->setattr(handle, change);
    if (rc < 0) fail_handle(change.uid || change.gid ? "chown" : "chmod", dir, rc);
  }

  // Removes the entry name of parent (a directory, handle dir) and everything below it, by
  // handle: no path is resolved again, so the cost is linear in the entries, and a tree a pod
  // made deeper than any path can name (past 4096 bytes) is removed all the same. An explicit
  // stack, not recursion: a 100,000-level tree must not overflow a worker's stack. Symlinks
  // are removed as links; a directory swapped for one after it was listed is never entered
  // (its handle is the directory's own).
  void remove_below(const RelativePath& top, const FileHandle& parent, const std::string& name,
                    const FileHandle& dir) {
    struct Level {
      FileHandle parent;
      std::string name;
      FileHandle dir;
      std::string path;  // below top, for messages only
      std::vector<HandleEntry> entries;
      std::size_t next = 0;
    };
    std::vector<Level> stack;
    const auto push = [&](const FileHandle& in, const std::string& entry, const FileHandle& fh,
                          std::string path) {
      Level level{in, entry, fh, std::move(path), {}, 0};
      if (const int rc = handles->read_directory(fh, level.entries); rc == -ENOENT) {
        level.entries.clear();  // removed meanwhile: its rmdir below says ENOENT too
      } else if (rc < 0) {
        fail_below("readdir", top, level.path, rc);
      }
      stack.push_back(std::move(level));
    };
    push(parent, name, dir, "");
    while (!stack.empty()) {
      Level& level = stack.back();
      if (level.next == level.entries.size()) {
        check_fence("rmdir", top);
        const int rc = handles->rmdir(level.parent, level.name);
        if (rc < 0 && rc != -ENOENT) fail_below("rmdir", top, level.path, rc);
        stack.pop_back();
        continue;
      }
      HandleEntry entry = std::move(level.entries[level.next++]);
      const std::string path = level.path.empty() ? entry.name : level.path + "/" + entry.name;
      if (entry.handle.bytes.empty() || entry.attributes.nfs_mode == 0) {
        // The server left out the handle or attributes: ask for them.
        const int rc = handles->lookup(level.dir, entry.name, entry.handle, entry.attributes);
        if (rc == -ENOENT) continue;
        if (rc < 0) fail_below("lookup", top, path, rc);
      }
      if (is_dir(entry.attributes)) {
        const FileHandle in = level.dir;  // push may move the stack's storage
        push(in, entry.name, entry.handle, path);
        continue;
      }
      check_fence("unlink", top);
      const int rc = handles->remove(level.dir, entry.name);
      if (rc < 0 && rc != -ENOENT) fail_below("unlink", top, path, rc);
    }
  }

  // A node's path as the error names it: parsed again only for the message.
  RelativePath named(const Node& node) const {
    try {
      return RelativePath::parse(node.path, true);
    } catch (const PathError&) {
      return RelativePath{};
    }
  }

  Node child_of(const Node& dir, const std::string& name, const FileHandle& handle,
                const nfs_stat_64& st) const {
    return Node{handle, to_info(st), dir.path.empty() ? name : dir.path + "/" + name};
  }

  [[noreturn]] void fail_below(std::string_view op, const RelativePath& top,
                               const std::string& below, int rc) {
    const std::string detail = handles->error();
    fail_errno(op, top, rc < 0 ? -rc : EIO,
               (below.empty() ? "" : "at '" + below + "' below it: ") + detail);
  }
};

ExportClient::ExportClient(ExportAddress address, NfsObserver observer, std::stop_token stop)
    : impl_(std::make_unique<Impl>()) {
  impl_->address = std::move(address);
  impl_->observer = std::move(observer);
  const RelativePath root;
  // A stop while connecting ends the mount with ECANCELED (at once when it came before).
  const std::stop_callback cancel_mount(stop, [this] { cancel(); });
  impl_->observed("mount", [&] {
    // Nothing from a StorageClass may become an option of the connection (uid=, version=).
    if (const auto problem = impl_->address.problem(); !problem.empty())
      impl_->fail_errno("mount", root, EINVAL, problem);
    if (impl_->cancel.fd() < 0)
      impl_->fail_errno("mount", root, impl_->cancel.error(),
                        "eventfd failed (for cancelling calls)");
    impl_->nfs.reset(nfs_init_context());
    if (!impl_->nfs) impl_->fail_errno("mount", root, ENOMEM, "nfs_init_context failed");
    std::unique_ptr<nfs_url, UrlDeleter> url(
        nfs_parse_url_dir(impl_->ctx(), impl_->address.url().c_str()));
    if (!url) {
      const char* text = nfs_get_error(impl_->ctx());
      impl_->fail_errno("mount", root, EINVAL,
                        "bad URL " + impl_->address.url() + ": " + (text ? text : ""));
    }
    // Without a timeout a frozen server blocks a call forever; tcp-syncnt (in the URL)
    // bounds connecting, which the timeout does not cover.
    nfs_set_timeout(impl_->ctx(), static_cast<int>(impl_->address.timeout.count()));
    impl_->handles = std::make_unique<HandleCalls>(impl_->ctx(), impl_->cancel.fd());
    const int rc = impl_->by_path([&](nfs_context* nfs, nfs_cb cb, void* data) {
      return nfs_mount_async(nfs, url->server, url->path, cb, data);
    });
    if (rc < 0) impl_->fail_handle("mount", root, rc);
    impl_->mounted = true;
    if (const int got = impl_->handles->mount_root(impl_->address, impl_->root); got < 0)
      impl_->fail_handle("mount", root, got);
  });
}

ExportClient::~ExportClient() {
  // After a failure nfs_umount would wait a full timeout for a server that is not answering.
  // Even a healthy-looking server may have frozen since: the unmount (advisory in NFSv3, the
  // server only forgets a mount-table entry) gets a short timeout of its own, so a shutdown
  // with several pooled clients stays within a pod's grace period.
  if (impl_ && impl_->mounted && healthy()) {
    nfs_set_timeout(impl_->ctx(), static_cast<int>(kUnmountTimeout.count()));
    nfs_umount(impl_->ctx());
  }
}

const ExportAddress& ExportClient::address() const {
  return impl_->address;
}

void ExportClient::cancel() {
  impl_->cancel.raise();
}

void ExportClient::set_write_fence(WriteFence fence) {
  impl_->fence = std::move(fence);
}

std::uint64_t ExportClient::handle_calls() const {
  return impl_->handles ? impl_->handles->calls() : 0;
}

bool ExportClient::healthy() const {
  return impl_->healthy && !impl_->cancel.raised();
}

void ExportClient::create_directory(std::string_view path, const CreateOptions& options) {
  impl_->observed("create_directory", [&] { impl_->create(RelativePath::parse(path), options); });
}

void ExportClient::rename(std::string_view path, std::string_view new_path) {
  impl_->observed("rename", [&] {
    const RelativePath from = RelativePath::parse(path);
    const RelativePath to = RelativePath::parse(new_path);
    const auto src = impl_->walk(from, false);
    if (src.existing < from.components().size())
      impl_->fail_errno("rename", from, ENOENT, "nothing to rename");
    const auto dst = impl_->walk(to, false);
    if (dst.existing == to.components().size())
      impl_->fail_errno("rename", to, EEXIST, "the target already exists");
    if (dst.existing + 1 < to.components().size())
      impl_->fail_errno("rename", to, ENOENT, "the target's parent directory does not exist");
    impl_->check_fence("rename", from);
    const int rc = impl_->by_path([&](nfs_context* nfs, nfs_cb cb, void* data) {
      return nfs_rename_async(nfs, from.nfs_path().c_str(), to.nfs_path().c_str(), cb, data);
    });
    if (rc < 0) impl_->fail_handle("rename", from, rc);
  });
}

bool ExportClient::remove_tree(std::string_view path) {
  return impl_->observed("remove_tree", [&] {
    const RelativePath target = RelativePath::parse(path);
    const auto w = impl_->walk(target, false);
    const std::size_t n = target.components().size();
    if (w.existing < n) return false;
    const std::string& name = target.components().back();
    if (!is_dir(*w.last)) {
      impl_->check_fence("unlink", target);
      const int rc = impl_->handles->remove(w.handles[n - 1], name);
      if (rc < 0 && rc != -ENOENT) impl_->fail_handle("unlink", target, rc);
      return true;
    }
    impl_->remove_below(target, w.handles[n - 1], name, w.handles[n]);
    return true;
  });
}

void ExportClient::create_symlink(std::string_view path, std::string_view target) {
  impl_->observed("create_symlink", [&] {
    const RelativePath link = RelativePath::parse(path);
    const auto w = impl_->walk(link, true);
    const std::size_t n = link.components().size();
    if (w.existing == n) impl_->fail_errno("symlink", link, EEXIST, "exists already");
    if (w.existing + 1 < n)
      impl_->fail_errno("symlink", link, ENOENT, "its parent directory does not exist");
    impl_->check_fence("symlink", link);
    const int rc =
        impl_->handles->symlink(w.handles[n - 1], link.components().back(), std::string(target));
    if (rc < 0) impl_->fail_handle("symlink", link, rc);
  });
}

std::optional<std::string> ExportClient::read_symlink(std::string_view path) {
  return impl_->observed("read_symlink", [&]() -> std::optional<std::string> {
    const RelativePath link = RelativePath::parse(path);
    const auto w = impl_->walk(link, true);
    if (w.existing < link.components().size()) return std::nullopt;
    if (!is_link(*w.last)) impl_->fail_errno("readlink", link, EINVAL, "not a symlink");
    std::string out;
    const int rc = impl_->by_path(
        [&](nfs_context* nfs, nfs_cb cb, void* data) {
          return nfs_readlink_async(nfs, link.nfs_path().c_str(), cb, data);
        },
        // libnfs's own text, freed after the callback.
        [&](void* data) { out = data ? static_cast<const char*>(data) : ""; });
    if (rc == -ENOENT || rc == -ESTALE) return std::nullopt;  // removed since the lstat
    if (rc < 0) impl_->fail_handle("readlink", link, rc);
    return out;
  });
}

bool ExportClient::remove_file(std::string_view path) {
  return impl_->observed("remove_file", [&] {
    const RelativePath file = RelativePath::parse(path);
    const auto w = impl_->walk(file, true);
    if (w.existing < file.components().size()) return false;
    if (is_dir(*w.last)) impl_->fail_errno("unlink", file, EISDIR, "is a directory");
    impl_->check_fence("unlink", file);
    const std::size_t n = file.components().size();
    const int rc = impl_->handles->remove(w.handles[n - 1], file.components().back());
    if (rc == -ENOENT) return false;
    if (rc < 0) impl_->fail_handle("unlink", file, rc);
    return true;
  });
}

std::optional<FileInfo> ExportClient::stat(std::string_view path) {
  return impl_->observed("stat", [&]() -> std::optional<FileInfo> {
    const RelativePath target = RelativePath::parse(path, true);
    const auto w = impl_->walk(target, true);
    if (w.existing < target.components().size() || !w.last) return std::nullopt;
    return to_info(*w.last);
  });
}

bool ExportClient::exists(std::string_view path) {
  return stat(path).has_value();
}

ExportUsage ExportClient::usage() {
  return impl_->observed("usage", [&] {
    nfs_statvfs_64 st{};
    const int rc =
        impl_->by_path([&](nfs_context* nfs, nfs_cb cb,
                           void* data) { return nfs_statvfs64_async(nfs, "/", cb, data); },
                       [&](void* data) { st = *static_cast<const nfs_statvfs_64*>(data); });
    if (rc < 0) impl_->fail_handle("statvfs", RelativePath{}, rc);
    const std::uint64_t unit = st.f_frsize ? st.f_frsize : st.f_bsize;
    return ExportUsage{st.f_blocks * unit, st.f_bfree * unit, st.f_bavail * unit};
  });
}

std::vector<std::string> ExportClient::list(std::string_view path) {
  return impl_->observed("list", [&] {
    const RelativePath dir = RelativePath::parse(path, true);
    const auto w = impl_->walk(dir, false);
    if (w.existing < dir.components().size())
      impl_->fail_errno("opendir", dir, ENOENT, "no such directory");
    if (!is_dir(*w.last)) impl_->fail_errno("opendir", dir, ENOTDIR, "not a directory");
    std::vector<HandleEntry> entries;
    if (const int rc = impl_->handles->read_directory(w.handles.back(), entries); rc < 0)
      impl_->fail_handle("readdir", dir, rc);
    std::vector<std::string> names;
    names.reserve(entries.size());
    for (auto& e : entries) names.push_back(std::move(e.name));
    std::sort(names.begin(), names.end());
    return names;
  });
}

std::optional<Node> ExportClient::node(std::string_view path) {
  return impl_->observed("node", [&]() -> std::optional<Node> {
    const RelativePath target = RelativePath::parse(path, true);
    const auto w = impl_->walk(target, true);
    if (w.existing < target.components().size() || !w.last) return std::nullopt;
    return Node{w.handles.back(), to_info(*w.last), target.str()};
  });
}

std::vector<Node> ExportClient::children(const Node& dir) {
  return impl_->observed("children", [&] {
    std::vector<HandleEntry> entries;
    if (const int rc = impl_->handles->read_directory(dir.handle, entries); rc < 0)
      impl_->fail_handle("readdir", impl_->named(dir), rc);
    std::vector<Node> nodes;
    nodes.reserve(entries.size());
    for (auto& e : entries) {
      if (e.name.find('/') != std::string::npos) continue;
      if (e.handle.bytes.empty() || e.attributes.nfs_mode == 0) {
        // The server left out the handle or attributes: ask for them.
        const int rc = impl_->handles->lookup(dir.handle, e.name, e.handle, e.attributes);
        if (rc == -ENOENT) continue;  // removed since the listing
        if (rc < 0) impl_->fail_handle("lookup", impl_->named(dir), rc);
      }
      nodes.push_back(impl_->child_of(dir, e.name, e.handle, e.attributes));
    }
    std::sort(nodes.begin(), nodes.end(),
              [](const Node& a, const Node& b) { return a.path < b.path; });
    return nodes;
  });
}

bool ExportClient::read(const Node& file, std::uint64_t offset, std::uint32_t max,
                        std::vector<char>& data) {
  return impl_->observed("read", [&] {
    bool eof = false;
    const std::size_t before = data.size();
    if (const int rc = impl_->handles->read(file.handle, offset, max, data, eof); rc < 0)
      impl_->fail_handle("read", impl_->named(file), rc);
    // A reply with no data and no eof would make its caller ask again forever.
    return !eof && data.size() > before;
  });
}

std::string ExportClient::link_target(const Node& link) {
  return impl_->observed("link_target", [&] {
    std::string target;
    if (const int rc = impl_->handles->readlink(link.handle, target); rc < 0)
      impl_->fail_handle("readlink", impl_->named(link), rc);
    return target;
  });
}

Node ExportClient::make_directory(const Node& dir, const std::string& name, std::uint32_t mode) {
  return impl_->observed("make_directory", [&] {
    Node made = impl_->child_of(dir, name, {}, {});
    impl_->check_fence("mkdir", impl_->named(made));
    if (const int rc = impl_->handles->mkdir(dir.handle, name, mode, made.handle); rc < 0)
      impl_->fail_handle("mkdir", impl_->named(made), rc);
    nfs_stat_64 st{};
    if (const int rc = impl_->handles->getattr(made.handle, st); rc < 0)
      impl_->fail_handle("getattr", impl_->named(made), rc);
    made.info = to_info(st);
    return made;
  });
}

Node ExportClient::make_file(const Node& dir, const std::string& name, std::uint32_t mode) {
  return impl_->observed("make_file", [&] {
    Node made = impl_->child_of(dir, name, {}, {});
    impl_->check_fence("create", impl_->named(made));
    if (const int rc = impl_->handles->create(dir.handle, name, mode, made.handle); rc < 0)
      impl_->fail_handle("create", impl_->named(made), rc);
    made.info.type = FileType::regular;
    made.info.mode = mode & 07777;
    return made;
  });
}

Node ExportClient::make_symlink(const Node& dir, const std::string& name,
                                const std::string& target) {
  return impl_->observed("make_symlink", [&] {
    Node made = impl_->child_of(dir, name, {}, {});
    impl_->check_fence("symlink", impl_->named(made));
    if (const int rc = impl_->handles->symlink(dir.handle, name, target, &made.handle); rc < 0)
      impl_->fail_handle("symlink", impl_->named(made), rc);
    made.info.type = FileType::symlink;
    made.info.mode = 0777;
    return made;
  });
}

WriteVerifier ExportClient::write(const Node& file, std::uint64_t offset, const char* data,
                                  std::size_t size) {
  return impl_->observed("write", [&] {
    WriteVerifier verifier{};
    const std::size_t chunk = transfer_size();
    for (std::size_t done = 0; done < size;) {
      impl_->check_fence("write", impl_->named(file));
      const auto count = static_cast<std::uint32_t>(std::min(chunk, size - done));
      std::uint32_t written = 0;
      if (const int rc = impl_->handles->write(file.handle, offset + done, data + done, count,
                                               written, verifier);
          rc < 0)
        impl_->fail_handle("write", impl_->named(file), rc);
      // A server that takes nothing would make this loop forever.
      if (written == 0)
        impl_->fail_errno("write", impl_->named(file), EIO, "the server wrote 0 bytes");
      done += written;
    }
    return verifier;
  });
}

std::vector<WriteVerifier> ExportClient::commit(const std::vector<Node>& files) {
  return impl_->observed("commit", [&] {
    std::vector<FileHandle> handles;
    handles.reserve(files.size());
    for (const auto& file : files) handles.push_back(file.handle);
    std::vector<WriteVerifier> verifiers;
    if (const int rc = impl_->handles->commit(handles, verifiers); rc < 0)
      impl_->fail_handle("commit", files.empty() ? RelativePath{} : impl_->named(files.front()),
                         rc);
    return verifiers;
  });
}

void ExportClient::set_attributes(const Node& node, const SetAttributes& change) {
  impl_->observed("set_attributes",
                  [&] { impl_->set_attributes(impl_->named(node), node.handle, change); });
}

void ExportClient::remove(const Node& dir, const Node& entry) {
  impl_->observed("remove", [&] {
    const std::string name = entry.path.substr(entry.path.rfind('/') + 1);
    const RelativePath path = impl_->named(entry);
    if (entry.info.type == FileType::directory) {
      impl_->remove_below(path, dir.handle, name, entry.handle);
      return;
    }
    impl_->check_fence("unlink", path);
    const int rc = impl_->handles->remove(dir.handle, name);
    if (rc < 0 && rc != -ENOENT) impl_->fail_handle("unlink", path, rc);
  });
}

std::uint32_t ExportClient::transfer_size() const {
  constexpr std::uint64_t kMax = 1 << 20;
  const std::uint64_t read = nfs_get_readmax(impl_->ctx());
  const std::uint64_t write = nfs_get_writemax(impl_->ctx());
  const std::uint64_t size = std::min({kMax, read ? read : kMax, write ? write : kMax});
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(size, 4096));
}

}  // namespace nfsprov::nfs
