#include "nfs/tree_copy.h"

#include <cerrno>
#include <map>
#include <optional>

namespace nfsprov::nfs {
namespace {

// Made writable for us while its content is copied; the source's mode is set afterwards.
constexpr std::uint32_t kWorkingDirectoryMode = 0700;
constexpr std::uint32_t kWorkingFileMode = 0600;

std::string name_of(const Node& node) {
  return node.path.substr(node.path.rfind('/') + 1);
}

class TreeCopy {
 public:
  TreeCopy(ExportClient& source, ExportClient& target, const CopyHooks& hooks)
      : source_(source), target_(target), hooks_(hooks), chunk_(source.transfer_size()) {
    chunk_ = std::min(chunk_, target.transfer_size());
  }

  CopyProgress run(std::string_view source_dir, std::string_view target_dir) {
    const Node from = existing_directory(source_, source_dir);
    const Node to = existing_directory(target_, target_dir);
    struct Level {
      Node from;
      Node to;
      std::vector<Node> entries;
      std::size_t next = 0;
      std::map<std::string, Node> present;  // what the target has, by name
    };
    std::vector<Level> stack;
    const auto push = [&](Node from_dir, Node to_dir) {
      Level level{std::move(from_dir), std::move(to_dir), {}, 0, {}};
      level.entries = source_.children(level.from);
      for (auto& node : target_.children(level.to)) {
        std::string name = name_of(node);
        level.present.emplace(std::move(name), std::move(node));
      }
      // What the source no longer has (or never had: an earlier try of another source).
      std::map<std::string, bool> wanted;
      for (const auto& e : level.entries) wanted[name_of(e)] = true;
      for (auto it = level.present.begin(); it != level.present.end();) {
        if (wanted.count(it->first) != 0) {
          ++it;
          continue;
        }
        check_cancelled(it->second);
        target_.remove(level.to, it->second);
        it = level.present.erase(it);
      }
      stack.push_back(std::move(level));
    };
    push(from, to);
    while (!stack.empty()) {
      Level& level = stack.back();
      if (level.next == level.entries.size()) {
        // Last: writing into a directory changes its times, and its mode may forbid writing.
        if (stack.size() == 1) commit_written();
        keep_attributes(level.to, level.from.info);
        if (stack.size() > 1) ++progress_.directories;
        stack.pop_back();
        report();
        continue;
      }
      const Node entry = level.entries[level.next++];
      check_cancelled(entry);
      const std::string name = name_of(entry);
      std::optional<Node> present;
      if (auto it = level.present.find(name); it != level.present.end())
        present = std::move(it->second);
      switch (entry.info.type) {
        case FileType::directory: {
          if (present && present->info.type != FileType::directory) {
            target_.remove(level.to, *present);
            present.reset();
          }
          Node made =
              present ? *present : target_.make_directory(level.to, name, kWorkingDirectoryMode);
          if (present) target_.set_attributes(made, {.mode = kWorkingDirectoryMode});
          push(entry, std::move(made));  // level is not used after this: push may move it
          break;
        }
        case FileType::regular:
          copy_file(level.to, entry, present);
          break;
        case FileType::symlink:
          if (present) target_.remove(level.to, *present);
          keep_owner(target_.make_symlink(level.to, name, source_.link_target(entry)), entry.info);
          ++progress_.symlinks;
          break;
        case FileType::other:
          if (present) target_.remove(level.to, *present);
          ++progress_.skipped;
          if (progress_.skipped_paths.size() < kMaxSkippedPaths)
            progress_.skipped_paths.push_back(entry.path);
          break;
      }
      report();
    }
    return progress_;
  }

 private:
  Node existing_directory(ExportClient& client, std::string_view path) {
    auto node = client.node(path);
    if (!node || node->info.type != FileType::directory)
      throw NfsError("copy", std::string(path), client.address().display(), node ? ENOTDIR : ENOENT,
                     node ? "not a directory" : "no such directory");
    return *node;
  }

  void check_cancelled(const Node& at) {
    if (hooks_.cancelled && hooks_.cancelled())
      throw NfsError("copy", at.path, target_.address().display(), ECANCELED,
                     "the copy was stopped");
  }

  void report() {
    if (hooks_.progress) hooks_.progress(progress_);
  }

  void copy_file(const Node& dir, const Node& file, std::optional<Node>& present) {
    const std::string name = name_of(file);
    if (present) {
      // Complete from an earlier try: its time is set only after its last byte.
      if (present->info.type == FileType::regular && present->info.size == file.info.size &&
          present->info.modified_ns == file.info.modified_ns) {
        ++progress_.kept_files;
        progress_.kept_bytes += file.info.size;
        const auto& had = present->info;
        if (had.mode != file.info.mode ||
            (progress_.owners_kept && (had.uid != file.info.uid || had.gid != file.info.gid)))
          keep_attributes(*present, file.info);
        return;
      }
      target_.remove(dir, *present);
    }
    const Node made = target_.make_file(dir, name, kWorkingFileMode);
    std::vector<char> data;
    data.reserve(chunk_);
    std::optional<WriteVerifier> verifier;
    std::uint64_t offset = 0;
    for (bool more = true; more;) {
      check_cancelled(file);
      data.clear();
      more = source_.read(file, offset, chunk_, data);
      if (data.empty()) break;
      const WriteVerifier got = target_.write(made, offset, data.data(), data.size());
      if (verifier && *verifier != got) restarted(made);
      verifier = got;
      offset += data.size();
      progress_.bytes += data.size();
      report();
    }
    // Committed with others, and only then given its time: a file that has its time has its
    // data on the server's disk.
    written_.push_back({made, file.info, verifier});
    written_bytes_ += file.info.size;
    if (written_.size() >= kCommitFiles || written_bytes_ >= kCommitBytes) commit_written();
    ++progress_.files;
  }

  void commit_written() {
    if (written_.empty()) return;
    std::vector<Node> files;
    files.reserve(written_.size());
    for (const auto& w : written_) files.push_back(w.file);
    const auto verifiers = target_.commit(files);
    for (std::size_t i = 0; i < written_.size(); ++i)
      if (written_[i].verifier && verifiers[i] != *written_[i].verifier)
        restarted(written_[i].file);
    for (const auto& w : written_) keep_attributes(w.file, w.like);
    written_.clear();
    written_bytes_ = 0;
  }

  [[noreturn]] void restarted(const Node& file) {
    // Unstable data may be lost: the file has no time yet, so a retry writes it again.
    throw NfsError("write", file.path, target_.address().display(), EIO,
                   "the server restarted while the file was written");
  }

  // Mode, owner and times of what was copied. An owner the target refuses (root_squash) is
  // given up for the rest of the copy: the copy still holds the data.
  void keep_attributes(const Node& node, const FileInfo& like) {
    SetAttributes change{.mode = like.mode,
                         .uid = std::nullopt,
                         .gid = std::nullopt,
                         .accessed_ns = like.accessed_ns,
                         .modified_ns = like.modified_ns};
    if (progress_.owners_kept) {
      change.uid = like.uid;
      change.gid = like.gid;
      try {
        target_.set_attributes(node, change);
        return;
      } catch (const NfsError& e) {
        if (e.error_number() != EPERM && e.error_number() != EACCES) throw;
        progress_.owners_kept = false;
        change.uid.reset();
        change.gid.reset();
      }
    }
    target_.set_attributes(node, change);
  }

  // A link has no mode of its own, and its times are not worth a call each.
  void keep_owner(const Node& link, const FileInfo& like) {
    if (!progress_.owners_kept) return;
    try {
      target_.set_attributes(link, {.uid = like.uid, .gid = like.gid});
    } catch (const NfsError& e) {
      if (e.error_number() != EPERM && e.error_number() != EACCES) throw;
      progress_.owners_kept = false;
    }
  }

  // Files written but not yet committed.
  struct Written {
    Node file;
    FileInfo like;
    std::optional<WriteVerifier> verifier;  // of the last write; none for an empty file
  };
  static constexpr std::size_t kCommitFiles = 64;
  static constexpr std::uint64_t kCommitBytes = 64 << 20;
  std::vector<Written> written_;
  std::uint64_t written_bytes_ = 0;

  ExportClient& source_;
  ExportClient& target_;
  const CopyHooks& hooks_;
  std::uint32_t chunk_;
  CopyProgress progress_;
};

}  // namespace

CopyProgress copy_tree(ExportClient& source, std::string_view source_dir, ExportClient& target,
                       std::string_view target_dir, const CopyHooks& hooks) {
  return TreeCopy(source, target, hooks).run(source_dir, target_dir);
}

}  // namespace nfsprov::nfs
