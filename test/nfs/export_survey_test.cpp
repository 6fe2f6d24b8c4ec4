// The read-only survey of an export (nfs/export_survey.h) against a real nfs-ganesha: what
// audit and the usage walks see of a tree a pod left, and that a walk's budget holds.
#include "nfs/export_survey.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "nfs/export_client.h"
#include "test/nfs_server/ganesha_server.h"

namespace fs = std::filesystem;
using nfsprov::nfs::ExportClient;
using nfsprov::nfs::FileType;
using nfsprov::testing::GaneshaServer;

namespace {

void write_file(const fs::path& path, std::size_t bytes) {
  std::ofstream(path) << std::string(bytes, 'x');
}

}  // namespace

TEST_CASE("survey_directories lists the given directories, lstat'ed, and skips missing ones") {
  GaneshaServer server;
  const fs::path root = server.export_dir();
  fs::create_directories(root / "a" / "b");
  write_file(root / "a" / "file", 3);
  fs::create_symlink("/etc", root / "a" / "link");
  ExportClient client(server.address());
  auto found = nfsprov::nfs::survey_directories(client, {"", "a", "nowhere", "a/file"});
  std::sort(found.begin(), found.end(), [](auto& x, auto& y) { return x.path < y.path; });
  REQUIRE(found.size() == 4);
  CHECK(found[0].path == "a");
  CHECK(found[1].path == "a/b");
  CHECK(found[1].type == FileType::directory);
  CHECK(found[2].path == "a/file");
  CHECK(found[2].type == FileType::regular);
  CHECK(found[3].path == "a/link");
  CHECK(found[3].type == FileType::symlink);  // never followed to /etc
  CHECK(found[0].changed_ns > 0);
}

TEST_CASE("tree_size adds up regular files below a directory, within its budget") {
  GaneshaServer server;
  const fs::path root = server.export_dir();
  fs::create_directories(root / "v" / "deep" / "er");
  write_file(root / "v" / "one", 100);
  write_file(root / "v" / "deep" / "two", 20);
  write_file(root / "v" / "deep" / "er" / "three", 3);
  fs::create_symlink("/etc/passwd", root / "v" / "link");  // not followed, not counted as bytes
  ExportClient client(server.address());
  const auto all = nfsprov::nfs::tree_size(client, "v", 1000);
  CHECK(all.bytes == 123);
  CHECK(all.entries == 6);
  CHECK(all.complete);
  const auto cut = nfsprov::nfs::tree_size(client, "v", 2);
  CHECK(cut.entries == 2);
  CHECK_FALSE(cut.complete);
  CHECK(cut.bytes <= 123);
  int asked = 0;
  const auto stopped = nfsprov::nfs::tree_size(client, "v", 1000, [&] { return ++asked < 3; });
  CHECK(asked == 3);
  CHECK_FALSE(stopped.complete);
  CHECK(nfsprov::nfs::tree_size(client, "missing", 1000).entries == 0);
}
