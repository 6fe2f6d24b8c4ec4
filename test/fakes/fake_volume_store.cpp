#include "test/fakes/fake_volume_store.h"

#include <cerrno>
#include <utility>

#include "nfs/nfs_error.h"

namespace nfsprov::fakes {

namespace {

std::string parent_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

bool below(std::string_view path, std::string_view dir) {
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

}  // namespace

FakeExport::FakeExport(nfs::ExportAddress address) : address_(std::move(address)) {
  entries_[""] = Entry{nfs::FileInfo{.type = nfs::FileType::directory, .mode = 0755}, {}};
}

void FakeExport::begin(std::string_view op, std::string_view path, bool change) {
  ++operations_;
  // ExportClient validates every path before any RPC, and never changes the root.
  if (path.starts_with('/') || path.ends_with('/') || path.find("..") != std::string_view::npos ||
      (change && path.empty()))
    throw nfs::PathError("invalid path \"" + std::string(path) + "\"");
  if (change && fence_ && !fence_()) fail(op, path, ECANCELED);
  if (fault_) fault_(op, path);
}

void FakeExport::fail(std::string_view op, std::string_view path, int error) const {
  throw nfs::NfsError(std::string(op), std::string(path), address_.server, error);
}

FakeExport::Entry& FakeExport::add(const std::string& path, nfs::FileType type,
                                   std::uint32_t mode) {
  const std::int64_t now = tick();
  Entry& entry = entries_[path];
  entry.info = nfs::FileInfo{
      .type = type, .mode = mode, .changed_ns = now, .modified_ns = now, .accessed_ns = now};
  if (Entry* parent = find(parent_of(path))) parent->info.modified_ns = now;
  return entry;
}

FakeExport::Entry* FakeExport::find(std::string_view path) {
  const auto found = entries_.find(std::string(path));
  return found == entries_.end() ? nullptr : &found->second;
}

void FakeExport::create_directory(std::string_view path, const nfs::CreateOptions& options) {
  begin("mkdir", path, true);
  std::string walked;
  std::size_t from = 0;
  while (from <= path.size()) {
    const auto slash = path.find('/', from);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    walked = std::string(path.substr(0, end));
    const bool last = end == path.size();
    if (Entry* entry = find(walked)) {
      if (entry->info.type == nfs::FileType::symlink) fail("mkdir", walked, ELOOP);
      if (entry->info.type != nfs::FileType::directory) fail("mkdir", walked, EEXIST);
      if (last && options.must_be_new) fail("mkdir", walked, EEXIST);
    } else {
      add(walked, nfs::FileType::directory, options.mode);
    }
    from = end + 1;
  }
  Entry& made = *find(path);
  made.info.mode = options.mode;
  if (options.uid) made.info.uid = *options.uid;
  if (options.gid) made.info.gid = *options.gid;
  made.info.changed_ns = tick();
}

void FakeExport::rename(std::string_view path, std::string_view new_path) {
  begin("rename", path, true);
  if (new_path.empty()) fail("rename", new_path, EINVAL);
  if (!find(path)) fail("rename", path, ENOENT);
  if (find(new_path)) fail("rename", new_path, EEXIST);
  const Entry* parent = find(parent_of(new_path));
  if (!parent) fail("rename", new_path, ENOENT);
  if (parent->info.type != nfs::FileType::directory) fail("rename", new_path, ENOTDIR);
  std::map<std::string, Entry> moved;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->first == path || below(it->first, path)) {
      moved[std::string(new_path) + it->first.substr(path.size())] = std::move(it->second);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  entries_.merge(moved);
  find(new_path)->info.changed_ns = tick();
}

bool FakeExport::remove_tree(std::string_view path) {
  begin("remove_tree", path, true);
  if (!find(path)) return false;
  std::erase_if(entries_,
                [&](const auto& entry) { return entry.first == path || below(entry.first, path); });
  return true;
}

void FakeExport::create_symlink(std::string_view path, std::string_view target) {
  begin("symlink", path, true);
  if (find(path)) fail("symlink", path, EEXIST);
  const Entry* parent = find(parent_of(path));
  if (!parent) fail("symlink", path, ENOENT);
  if (parent->info.type != nfs::FileType::directory) fail("symlink", path, ENOTDIR);
  add(std::string(path), nfs::FileType::symlink, 0777).target = std::string(target);
}

std::optional<std::string> FakeExport::read_symlink(std::string_view path) {
  begin("readlink", path, false);
  const Entry* entry = find(path);
  if (!entry) return std::nullopt;
  if (entry->info.type != nfs::FileType::symlink) fail("readlink", path, EINVAL);
  return entry->target;
}

bool FakeExport::remove_file(std::string_view path) {
  begin("unlink", path, true);
  const Entry* entry = find(path);
  if (!entry) return false;
  if (entry->info.type == nfs::FileType::directory) fail("unlink", path, EISDIR);
  entries_.erase(std::string(path));
  return true;
}

std::optional<nfs::FileInfo> FakeExport::stat(std::string_view path) {
  begin("lstat", path, false);
  const Entry* entry = find(path);
  if (!entry) return std::nullopt;
  return entry->info;
}

bool FakeExport::exists(std::string_view path) {
  begin("lstat", path, false);
  return find(path) != nullptr;
}

nfs::ExportUsage FakeExport::usage() {
  begin("statvfs", "", false);
  return usage_;
}

std::vector<std::string> FakeExport::list(std::string_view path) {
  begin("readdir", path, false);
  const Entry* entry = find(path);
  if (!entry) fail("readdir", path, ENOENT);
  if (entry->info.type != nfs::FileType::directory) fail("readdir", path, ENOTDIR);
  std::vector<std::string> names;
  for (const auto& [name, child] : entries_)
    if (!name.empty() && parent_of(name) == path)
      names.push_back(name.substr(path.empty() ? 0 : path.size() + 1));
  return names;
}

void FakeExport::write_file(std::string_view path, std::uint64_t size) {
  if (!find(parent_of(path))) fail("write", path, ENOENT);
  add(std::string(path), nfs::FileType::regular, 0644).info.size = size;
}

std::vector<std::string> FakeExport::paths() const {
  std::vector<std::string> all;
  for (const auto& [path, entry] : entries_)
    if (!path.empty()) all.push_back(path);
  return all;
}

FakeExport& FakeVolumeStore::at(const nfs::ExportAddress& address) {
  auto& slot = exports_[address.key()];
  if (!slot) slot = std::make_unique<FakeExport>(address);
  return *slot;
}

void FakeVolumeStore::lend(const nfs::ExportAddress& address, std::stop_token stop,
                           const std::function<void(nfs::ExportFiles&)>& fn) {
  ++lends_;
  if (stop.stop_requested())
    throw nfs::NfsError("wait", "", address.display(), ECANCELED, "stopped (fake)");
  fn(at(address));
}

}  // namespace nfsprov::fakes
