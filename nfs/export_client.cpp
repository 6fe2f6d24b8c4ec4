#include "nfs/export_client.h"

#include <nfsc/libnfs-raw-nfs.h>
#include <nfsc/libnfs.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <type_traits>
#include <utility>

#include "nfs/relative_path.h"

namespace nfsprov::nfs {
namespace {

struct ContextDeleter {
  void operator()(nfs_context* nfs) const { nfs_destroy_context(nfs); }
};
struct UrlDeleter {
  void operator()(nfs_url* url) const { nfs_destroy_url(url); }
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
  info.changed_ns = static_cast<std::int64_t>(st.nfs_ctime) * 1'000'000'000 +
                    static_cast<std::int64_t>(st.nfs_ctime_nsec);
  return info;
}

struct DirEntry {
  std::string name;
  std::uint32_t type;  // NF3DIR, NF3LNK, ...; 0 when the server sent no attributes
};

}  // namespace

struct ExportClient::Impl {
  ExportAddress address;
  NfsObserver observer;
  WriteFence fence;
  std::unique_ptr<nfs_context, ContextDeleter> nfs;
  bool mounted = false;
  bool healthy = true;

  nfs_context* ctx() const { return nfs.get(); }

  // Failures the server did not report (a symlink found, a file in the way) are not
  // connection trouble, so they never mark the client unhealthy unless retryable.
  [[noreturn]] void fail_errno(std::string_view op, const RelativePath& path, int err,
                               std::string detail) {
    NfsError e(std::string(op), path.str(), address.display(), err, std::move(detail));
    if (e.retryable()) healthy = false;
    throw e;
  }

  [[noreturn]] void fail(std::string_view op, const RelativePath& path, int rc) {
    const char* text = nfs_get_error(ctx());
    std::string detail = text ? text : "";
    // libnfs reports its own timeout as EINTR, which reads like a signal: say what it is.
    if (rc == -EINTR)
      detail =
          "no answer within " + std::to_string(address.timeout.count()) + " ms (" + detail + ")";
    fail_errno(op, path, rc < 0 ? -rc : EIO, std::move(detail));
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

  std::optional<nfs_stat_64> lstat(const RelativePath& path) {
    nfs_stat_64 st{};
    const int rc = nfs_lstat64(ctx(), path.nfs_path().c_str(), &st);
    if (rc == -ENOENT) return std::nullopt;
    if (rc < 0) fail("lstat", path, rc);
    return st;
  }

  struct Walk {
    std::size_t existing = 0;         // leading components that exist
    std::optional<nfs_stat_64> last;  // lstat of the deepest existing one
  };

  // libnfs follows symlinks while resolving a path, so every component is checked with
  // lstat, from the root down, before the path is handed to any other call.
  Walk walk(const RelativePath& path, bool allow_final_symlink) {
    Walk w;
    const std::size_t n = path.components().size();
    if (n == 0) {
      w.last = lstat(path);
      return w;
    }
    for (std::size_t i = 1; i <= n; ++i) {
      const RelativePath prefix = path.prefix(i);
      auto st = lstat(prefix);
      if (!st) break;
      if (is_link(*st) && !(i == n && allow_final_symlink))
        fail_errno(
            "lstat", path, ELOOP,
            "'" + prefix.str() + "' is a symlink on the server; symlinks are never followed");
      if (i < n && !is_dir(*st))
        fail_errno("lstat", path, ENOTDIR, "'" + prefix.str() + "' is not a directory");
      w.existing = i;
      w.last = st;
    }
    return w;
  }

  void create(const RelativePath& path, const CreateOptions& options) {
    const std::size_t n = path.components().size();
    const Walk w = walk(path, false);
    if (w.existing == n && !is_dir(*w.last))
      fail_errno("mkdir", path, EEXIST, "exists and is not a directory");
    if (w.existing == n && options.must_be_new)
      fail_errno("mkdir", path, EEXIST, "exists already and was not made by this call");
    const int mode = static_cast<int>(options.mode & 07777);
    std::vector<RelativePath> created;
    try {
      for (std::size_t i = w.existing + 1; i <= n; ++i) {
        const RelativePath dir = path.prefix(i);
        check_fence("mkdir", dir);
        const int rc = nfs_mkdir2(ctx(), dir.nfs_path().c_str(), mode);
        if (rc == -EEXIST) {
          if (i == n && options.must_be_new)
            fail_errno("mkdir", dir, EEXIST, "exists already and was not made by this call");
          // A concurrent creator, or our own earlier try whose reply was lost.
          const auto st = lstat(dir);
          if (st && is_dir(*st) && !is_link(*st)) continue;
          fail_errno("mkdir", dir, EEXIST, "exists and is not a directory");
        }
        if (rc < 0) fail("mkdir", dir, rc);
        created.push_back(dir);
      }
      // mkdir's mode can lose setgid/sticky bits on some servers; chmod states it exactly.
      for (const auto& dir : created)
        if (dir.components().size() < n) chmod(dir, mode);
      chmod(path, mode);
      if (options.uid || options.gid) {
        const int uid = options.uid ? static_cast<int>(*options.uid) : -1;
        const int gid = options.gid ? static_cast<int>(*options.gid) : -1;
        check_fence("chown", path);
        const int rc = nfs_lchown(ctx(), path.nfs_path().c_str(), uid, gid);
        if (rc < 0) fail("chown", path, rc);
      }
    } catch (const NfsError& e) {
      // Never leave a half-made volume: undo what this call made, deepest first, but only
      // when the server said no. After a timeout the call may still have been carried out,
      // and while we waited (frozen, say) another replica may have taken over and bound a
      // PV to the directory: removing "ours" would remove theirs.
      if (!e.retryable())
        for (auto it = created.rbegin(); it != created.rend() && may_write(); ++it)
          nfs_rmdir(ctx(), it->nfs_path().c_str());
      throw;
    }
  }

  void chmod(const RelativePath& dir, int mode) {
    check_fence("chmod", dir);
    const int rc = nfs_lchmod(ctx(), dir.nfs_path().c_str(), mode);
    if (rc < 0) fail("chmod", dir, rc);
  }

  std::vector<DirEntry> read_dir(const RelativePath& dir) {
    nfsdir* handle = nullptr;
    const int rc = nfs_opendir(ctx(), dir.nfs_path().c_str(), &handle);
    if (rc < 0) fail("opendir", dir, rc);
    std::vector<DirEntry> entries;
    const auto close = [&] { nfs_closedir(ctx(), handle); };
    try {
      while (nfsdirent* e = nfs_readdir(ctx(), handle)) {
        const std::string_view name = e->name;
        if (name == "." || name == "..") continue;
        entries.push_back({std::string(name), e->type});
      }
    } catch (...) {
      close();
      throw;
    }
    close();
    return entries;
  }

  // Every call names its path from the export's root, so libnfs looks each level up again:
  // a tree a pod made 1000 levels deep would cost O(depth^2) lookups, and past 4096 bytes its
  // paths could not even be named. So a subdirectory more than kFlattenLevels below the top of
  // the removal (or with a long path) is first moved up to the top (one rename, short paths)
  // and removed from there: every path stays short, and the cost is linear in the entries.
  static constexpr std::size_t kFlattenLevels = 8;
  static constexpr std::size_t kFlattenBytes = 2048;
  std::size_t flattened = 0;

  RelativePath move_to_top(const RelativePath& child, const RelativePath& top) {
    for (;;) {
      const RelativePath target = top.child(".nfs-provisioner-deep-" + std::to_string(flattened++));
      check_fence("rename", child);
      const int rc = nfs_rename(ctx(), child.nfs_path().c_str(), target.nfs_path().c_str());
      if (rc == -EEXIST || rc == -ENOTEMPTY) continue;  // a name of the volume's own: next one
      if (rc < 0) fail("rename", child, rc);
      return target;
    }
  }

  void remove_contents(const RelativePath& dir, const RelativePath& top) {
    for (const auto& entry : read_dir(dir)) {
      const RelativePath child = dir.child(entry.name);
      std::uint32_t type = entry.type;
      if (type == 0) {
        const auto st = lstat(child);
        if (!st) continue;
        type = is_dir(*st) ? NF3DIR : NF3REG;
      }
      if (type == NF3DIR) {
        const bool deep = child.components().size() > top.components().size() + kFlattenLevels ||
                          child.str().size() > kFlattenBytes;
        if (deep) {
          // Not followed if a symlink was put in its place: rename moves the link itself.
          remove_directory(move_to_top(child, top), top);
        } else {
          remove_directory(child, top);
        }
      } else {
        // Files and symlinks alike: unlink removes the link, never its target.
        check_fence("unlink", child);
        const int rc = nfs_unlink(ctx(), child.nfs_path().c_str());
        if (rc < 0 && rc != -ENOENT) fail("unlink", child, rc);
      }
    }
  }

  void remove_directory(const RelativePath& dir, const RelativePath& top) {
    // Checked again right before descending: opendir would follow a symlink put in its place.
    const auto st = lstat(dir);
    if (!st) return;
    if (!is_dir(*st)) {
      check_fence("unlink", dir);
      const int rc = nfs_unlink(ctx(), dir.nfs_path().c_str());
      if (rc < 0 && rc != -ENOENT) fail("unlink", dir, rc);
      return;
    }
    remove_contents(dir, top);
    check_fence("rmdir", dir);
    const int rc = nfs_rmdir(ctx(), dir.nfs_path().c_str());
    if (rc < 0 && rc != -ENOENT) fail("rmdir", dir, rc);
  }
};

ExportClient::ExportClient(ExportAddress address, NfsObserver observer)
    : impl_(std::make_unique<Impl>()) {
  impl_->address = std::move(address);
  impl_->observer = std::move(observer);
  const RelativePath root;
  impl_->observed("mount", [&] {
    // Nothing from a StorageClass may become an option of the connection (uid=, version=).
    if (const auto problem = impl_->address.problem(); !problem.empty())
      impl_->fail_errno("mount", root, EINVAL, problem);
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
    const int rc = nfs_mount(impl_->ctx(), url->server, url->path);
    if (rc < 0) impl_->fail("mount", root, rc);
    impl_->mounted = true;
  });
}

ExportClient::~ExportClient() {
  // After a failure nfs_umount would wait a full timeout for a server that is not answering.
  // Even a healthy-looking server may have frozen since: the unmount (advisory in NFSv3, the
  // server only forgets a mount-table entry) gets a short timeout of its own, so a shutdown
  // with several pooled clients stays within a pod's grace period.
  if (impl_ && impl_->mounted && impl_->healthy) {
    nfs_set_timeout(impl_->ctx(), static_cast<int>(kUnmountTimeout.count()));
    nfs_umount(impl_->ctx());
  }
}

const ExportAddress& ExportClient::address() const {
  return impl_->address;
}

void ExportClient::set_write_fence(WriteFence fence) {
  impl_->fence = std::move(fence);
}

bool ExportClient::healthy() const {
  return impl_->healthy;
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
    const int rc = nfs_rename(impl_->ctx(), from.nfs_path().c_str(), to.nfs_path().c_str());
    if (rc < 0) impl_->fail("rename", from, rc);
  });
}

bool ExportClient::remove_tree(std::string_view path) {
  return impl_->observed("remove_tree", [&] {
    const RelativePath target = RelativePath::parse(path);
    const auto w = impl_->walk(target, false);
    if (w.existing < target.components().size()) return false;
    impl_->remove_directory(target, target);
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
    const int rc = nfs_symlink(impl_->ctx(), std::string(target).c_str(), link.nfs_path().c_str());
    if (rc < 0) impl_->fail("symlink", link, rc);
  });
}

std::optional<std::string> ExportClient::read_symlink(std::string_view path) {
  return impl_->observed("read_symlink", [&]() -> std::optional<std::string> {
    const RelativePath link = RelativePath::parse(path);
    const auto w = impl_->walk(link, true);
    if (w.existing < link.components().size()) return std::nullopt;
    if (!is_link(*w.last)) impl_->fail_errno("readlink", link, EINVAL, "not a symlink");
    char* target = nullptr;
    const int rc = nfs_readlink2(impl_->ctx(), link.nfs_path().c_str(), &target);
    if (rc == -ENOENT || rc == -ESTALE) return std::nullopt;  // removed since the lstat
    if (rc < 0) impl_->fail("readlink", link, rc);
    std::string out = target ? target : "";
    std::free(target);
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
    const int rc = nfs_unlink(impl_->ctx(), file.nfs_path().c_str());
    if (rc == -ENOENT) return false;
    if (rc < 0) impl_->fail("unlink", file, rc);
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
    const int rc = nfs_statvfs64(impl_->ctx(), "/", &st);
    if (rc < 0) impl_->fail("statvfs", RelativePath{}, rc);
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
    std::vector<std::string> names;
    for (auto& e : impl_->read_dir(dir)) names.push_back(std::move(e.name));
    std::sort(names.begin(), names.end());
    return names;
  });
}

}  // namespace nfsprov::nfs
