// copy_tree against real nfs-ganesha servers: the copy a cloned volume gets, compared with its
// source on the servers' disks, file by file (type, mode, owner, size, times, content, link
// target), including what an interrupted copy leaves and what the next one makes of it.
#include "nfs/tree_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "test/nfs_server/ganesha_server.h"

namespace fs = std::filesystem;
using nfsprov::nfs::copy_tree;
using nfsprov::nfs::CopyHooks;
using nfsprov::nfs::CopyProgress;
using nfsprov::nfs::ExportClient;
using nfsprov::nfs::NfsError;
using nfsprov::testing::ExportMode;
using nfsprov::testing::GaneshaServer;

namespace {

struct stat lstat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

std::string content_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write(const fs::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary) << data;
}

void set_times(const fs::path& p, time_t seconds, long nanoseconds) {
  const timespec times[2] = {{seconds - 100, 0}, {seconds, nanoseconds}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

// What a user comparing the two trees sees, one line per entry below dir (and dir itself):
// type, mode, owner, mtime (ns) and content or link target. Directory times are included:
// the copy sets them after its content.
std::map<std::string, std::string> describe(const fs::path& dir) {
  std::map<std::string, std::string> tree;
  const auto line = [&](const fs::path& p, const std::string& rel) {
    const auto st = lstat_of(p);
    std::string text = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + ":" +
                       std::to_string(st.st_gid);
    if (!S_ISLNK(st.st_mode))
      text +=
          " mtime " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode)) text += " size " + std::to_string(st.st_size) + " " + content_of(p);
    if (S_ISLNK(st.st_mode)) text += " -> " + fs::read_symlink(p).string();
    tree[rel] = text;
  };
  line(dir, ".");
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it)
    line(it->path(), fs::relative(it->path(), dir).string());
  return tree;
}

// A volume as a pod leaves it: nested directories with their own modes and owners, a directory
// only its owner may enter, an empty file, a file of several chunks, symlinks that point out of
// the volume (absolute, "..", dangling), a hard link pair and a FIFO.
void make_source(const fs::path& src) {
  fs::create_directories(src / "db/base/1");
  fs::create_directories(src / "www/static");
  fs::create_directories(src / "locked");
  write(src / "db/base/1/pg_filenode.map", "filenode");
  write(src / "db/PG_VERSION", "15\n");
  write(src / "www/index.html", "<h1>hello</h1>\n");
  write(src / "www/static/empty", "");
  write(src / "big.bin", random_bytes(3 * 1024 * 1024 + 12345, 7));  // > 3 chunks of 1 MiB
  write(src / "locked/secret", "s3cret");
  fs::create_symlink("/etc/passwd", src / "www/passwd");
  fs::create_symlink("../../outside", src / "www/up");
  fs::create_symlink("missing-target", src / "dangling");
  write(src / "hard-a", "shared content");
  fs::create_hard_link(src / "hard-a", src / "hard-b");
  REQUIRE(::mkfifo((src / "fifo").c_str(), 0644) == 0);
  REQUIRE(::chown((src / "db").c_str(), 999, 999) == 0);
  REQUIRE(::chown((src / "db/PG_VERSION").c_str(), 999, 998) == 0);
  REQUIRE(::lchown((src / "www/up").c_str(), 33, 33) == 0);
  fs::permissions(src / "db", fs::perms(0700));
  fs::permissions(src / "db/PG_VERSION", fs::perms(0600));
  fs::permissions(src / "www/index.html", fs::perms(0644));
  fs::permissions(src / "locked/secret", fs::perms(0400));
  fs::permissions(src / "locked", fs::perms(0500));  // no write: the copy must still fill it
  REQUIRE(::chmod((src / "www/static").c_str(), 02775) == 0);
  set_times(src / "www/index.html", 1'600'000'000, 123'456'789);
  set_times(src / "big.bin", 1'500'000'000, 5);
  // Directories last: their content changed their times.
  for (const char* d : {"db/base/1", "db/base", "db", "www/static", "www", "locked"})
    set_times(src / d, 1'400'000'000, 0);
  fs::permissions(src, fs::perms(0755));
  set_times(src, 1'300'000'000, 42);
}

// "" when the trees are the same; otherwise each entry that differs, as both sides have it.
std::string difference(const std::map<std::string, std::string>& copy,
                       const std::map<std::string, std::string>& source) {
  std::string out;
  for (const auto& [path, line] : source) {
    const auto it = copy.find(path);
    if (it == copy.end())
      out += path + ": missing from the copy\n";
    else if (it->second.substr(0, 200) != line.substr(0, 200) || it->second != line)
      out += path + ":\n  copy   " + it->second.substr(0, 120) + "\n  source " +
             line.substr(0, 120) + "\n";
  }
  for (const auto& [path, line] : copy)
    if (source.count(path) == 0) out += path + ": only in the copy\n";
  return out;
}

std::map<std::string, std::string> without(std::map<std::string, std::string> tree,
                                           const std::vector<std::string>& paths) {
  for (const auto& p : paths) tree.erase(p);
  return tree;
}

// The export's root, holding the source tree "src" and an empty "dst".
fs::path source_and_empty_target(const GaneshaServer& server) {
  const fs::path root = server.export_dir();
  make_source(root / "src");
  fs::create_directory(root / "dst");
  return root;
}

}  // namespace

TEST_CASE("copy_tree copies a volume exactly: data, modes, owners, times, links as links",
          "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = source_and_empty_target(server);

  const CopyProgress done = copy_tree(client, "src", client, "dst");

  // Everything but the FIFO, which is reported instead of copied.
  CHECK(difference(describe(root / "dst"), without(describe(root / "src"), {"fifo"})) == "");
  CHECK_FALSE(fs::exists(fs::symlink_status(root / "dst/fifo")));
  CHECK(done.skipped == 1);
  CHECK(done.skipped_paths == std::vector<std::string>{"src/fifo"});
  CHECK(done.files == 8);
  CHECK(done.symlinks == 3);
  CHECK(done.directories == 6);
  CHECK(done.bytes == 3 * 1024 * 1024 + 12345 + 8 + 3 + 15 + 6 + 2 * 14);
  CHECK(done.kept_files == 0);
  CHECK(done.owners_kept);
  // Symlinks stay links (never followed: /etc/passwd was not read into the volume).
  CHECK(fs::is_symlink(root / "dst/www/passwd"));
  CHECK(fs::read_symlink(root / "dst/www/up") == "../../outside");
  CHECK(lstat_of(root / "dst/www/up").st_uid == 33);  // a link's own owner
  // A hard link pair becomes two files.
  CHECK(lstat_of(root / "dst/hard-a").st_ino != lstat_of(root / "dst/hard-b").st_ino);
  CHECK(lstat_of(root / "dst/hard-a").st_nlink == 1);
}

TEST_CASE("an interrupted copy is resumed: complete files are kept, the rest written again",
          "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = source_and_empty_target(server);

  // Stopped in the middle of big.bin, after its first chunk.
  std::uint64_t seen = 0;
  CopyHooks stop_midway{[&] { return seen >= 1024 * 1024 && seen < 2 * 1024 * 1024; },
                        [&](const CopyProgress& p) { seen = p.bytes; }};
  try {
    copy_tree(client, "src", client, "dst", stop_midway);
    FAIL("the copy was not stopped");
  } catch (const NfsError& e) {
    CHECK(e.error_number() == ECANCELED);
  }
  REQUIRE(fs::exists(root / "dst/big.bin"));
  CHECK(fs::file_size(root / "dst/big.bin") < fs::file_size(root / "src/big.bin"));
  // What a user must not be given: the tree as the interrupted copy left it differs.
  CHECK(difference(describe(root / "dst"), without(describe(root / "src"), {"fifo"})) != "");

  // Meanwhile the target got a file the source never had.
  write(root / "dst/stray", "not from the source");

  const CopyProgress done = copy_tree(client, "src", client, "dst");
  CHECK(difference(describe(root / "dst"), without(describe(root / "src"), {"fifo"})) == "");
  CHECK_FALSE(fs::exists(root / "dst/stray"));
  // big.bin (sorted first) was cut short and is written again; nothing after it was copied.
  CHECK(done.kept_files == 0);
  CHECK(done.files == 8);

  // A third copy over the complete one writes no file data at all.
  const CopyProgress again = copy_tree(client, "src", client, "dst");
  CHECK(again.kept_files == 8);
  CHECK(again.bytes == 0);
  CHECK(difference(describe(root / "dst"), without(describe(root / "src"), {"fifo"})) == "");
}

TEST_CASE("copy_tree between two servers, to a root_squash export: data kept, owners not",
          "[nfs]") {
  GaneshaServer from;
  GaneshaServer to({{"export", ExportMode::root_squash}});
  ExportClient source(from.address());
  ExportClient target(to.address());
  make_source(from.export_dir() / "src");
  target.create_directory("dst");  // as the provisioner makes it there: owned by nobody

  const CopyProgress done = copy_tree(source, "src", target, "dst");
  CHECK_FALSE(done.owners_kept);
  CHECK(content_of(to.export_dir() / "dst/big.bin") ==
        content_of(from.export_dir() / "src/big.bin"));
  CHECK(content_of(to.export_dir() / "dst/locked/secret") == "s3cret");
  CHECK((lstat_of(to.export_dir() / "dst/locked").st_mode & 07777) == 0500);
  CHECK((lstat_of(to.export_dir() / "dst/www/static").st_mode & 07777) == 02775);
  CHECK(lstat_of(to.export_dir() / "dst/www/index.html").st_mtim.tv_sec == 1'600'000'000);
  CHECK(fs::read_symlink(to.export_dir() / "dst/www/passwd") == "/etc/passwd");
}

TEST_CASE("a closed write fence stops a copy before it changes anything", "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = source_and_empty_target(server);
  client.set_write_fence([] { return false; });
  try {
    copy_tree(client, "src", client, "dst");
    FAIL("the copy was not fenced off");
  } catch (const NfsError& e) {
    CHECK(e.error_number() == ECANCELED);
  }
  CHECK(fs::is_empty(root / "dst"));
  try {
    copy_tree(client, "src", client, "nowhere");
    FAIL("a missing target was accepted");
  } catch (const NfsError& e) {
    CHECK(e.error_number() == ENOENT);
  }
}
