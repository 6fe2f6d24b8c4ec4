// ExportClient against a real nfs-ganesha: what a provisioner's user would find on the
// server's disk after each operation.
#include "nfs/export_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test/nfs_server/ganesha_server.h"

namespace fs = std::filesystem;
using nfsprov::nfs::CreateOptions;
using nfsprov::nfs::ExportClient;
using nfsprov::nfs::FileType;
using nfsprov::nfs::NfsError;
using nfsprov::nfs::PathError;
using nfsprov::testing::ExportMode;
using nfsprov::testing::GaneshaServer;

namespace {

struct stat local_stat(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

unsigned local_mode(const fs::path& p) {
  return local_stat(p).st_mode & 07777;
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

std::vector<std::string> local_entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  return names;
}

// Runs fn, which must throw NfsError with err (-1: any); returns the error for further checks.
template <class Fn>
NfsError expect_nfs_error(int err, Fn&& fn) {
  try {
    fn();
  } catch (const NfsError& e) {
    INFO(e.what());
    if (err >= 0) CHECK(e.error_number() == err);
    return e;
  }
  FAIL("no NfsError thrown");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("create_directory makes the volume with the exact mode and is idempotent", "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = server.export_dir();

  client.create_directory("default-data-pvc-1");
  REQUIRE(fs::is_directory(root / "default-data-pvc-1"));
  CHECK(local_mode(root / "default-data-pvc-1") == 0777);  // no umask applied

  client.create_directory("default-data-pvc-1");  // a retry: same result, no error
  CHECK(local_entries(root) == std::vector<std::string>{"default-data-pvc-1"});

  client.create_directory("default-data-pvc-1", {.mode = 02750});  // set again, exactly
  CHECK(local_mode(root / "default-data-pvc-1") == 02750);
  const auto info = client.stat("default-data-pvc-1");
  REQUIRE(info);
  CHECK(info->type == FileType::directory);
  CHECK(info->mode == 02750);
  CHECK(client.exists("default-data-pvc-1"));
  CHECK_FALSE(client.exists("missing"));
  CHECK_FALSE(client.stat("missing"));

  write_file(root / "a-file", "x");
  auto e = expect_nfs_error(EEXIST, [&] { client.create_directory("a-file"); });
  CHECK_FALSE(e.retryable());
  CHECK(fs::is_regular_file(root / "a-file"));
  expect_nfs_error(ENOTDIR, [&] { client.create_directory("a-file/vol"); });
}

TEST_CASE("create_directory makes nested parents with the mode, owner on the volume", "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = server.export_dir();

  client.create_directory("team/db/data", {.mode = 0750, .uid = 1234, .gid = 5678});
  for (const auto* p : {"team", "team/db", "team/db/data"}) {
    INFO(p);
    REQUIRE(fs::is_directory(root / p));
    CHECK(local_mode(root / p) == 0750);
  }
  CHECK(local_stat(root / "team/db/data").st_uid == 1234);
  CHECK(local_stat(root / "team/db/data").st_gid == 5678);
  CHECK(local_stat(root / "team").st_uid == 0);  // only the volume is given away

  client.create_directory("team/db/logs", {.mode = 0700, .gid = 42});  // gid alone
  CHECK(local_stat(root / "team/db/logs").st_uid == 0);
  CHECK(local_stat(root / "team/db/logs").st_gid == 42);
  CHECK(client.list("team/db") == std::vector<std::string>{"data", "logs"});
  CHECK(client.list("") == std::vector<std::string>{"team"});
  expect_nfs_error(ENOENT, [&] { client.list("nowhere"); });

  const auto usage = client.usage();
  CHECK(usage.total_bytes > 0);
  CHECK(usage.free_bytes <= usage.total_bytes);
  CHECK(usage.available_bytes <= usage.free_bytes);
}

TEST_CASE("rename archives a volume with its content", "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = server.export_dir();

  client.create_directory("ns-claim-pv");
  write_file(root / "ns-claim-pv/data.txt", "keep me");
  client.rename("ns-claim-pv", "archived-ns-claim-pv");
  CHECK_FALSE(fs::exists(root / "ns-claim-pv"));
  CHECK(fs::file_size(root / "archived-ns-claim-pv/data.txt") == 7);

  client.create_directory("ns-claim-pv");
  expect_nfs_error(EEXIST, [&] { client.rename("ns-claim-pv", "archived-ns-claim-pv"); });
  CHECK(fs::exists(root / "ns-claim-pv"));  // nothing overwritten
  CHECK(fs::exists(root / "archived-ns-claim-pv/data.txt"));
  expect_nfs_error(ENOENT, [&] { client.rename("gone", "archived-gone"); });
  expect_nfs_error(ENOENT, [&] { client.rename("ns-claim-pv", "no/parent"); });
}

TEST_CASE("remove_tree deletes files and subdirectories, never a symlink's target", "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = server.export_dir();
  const fs::path outside = server.state_dir() / "outside";
  fs::create_directories(outside);
  write_file(outside / "precious", "do not delete");

  client.create_directory("vol/a/b");
  write_file(root / "vol/top.txt", "1");
  write_file(root / "vol/a/b/deep.txt", "2");
  fs::create_directories(root / "vol/empty");
  fs::create_directory_symlink(outside, root / "vol/a/link-out");
  fs::create_symlink(outside / "precious", root / "vol/file-link");

  CHECK(client.remove_tree("vol"));
  CHECK_FALSE(fs::exists(root / "vol"));
  CHECK(fs::exists(outside / "precious"));
  CHECK(local_entries(outside) == std::vector<std::string>{"precious"});

  CHECK_FALSE(client.remove_tree("vol"));  // a retried delete finds nothing: success

  write_file(root / "plain-file", "x");
  CHECK(client.remove_tree("plain-file"));
  CHECK(local_entries(root).empty());
}

TEST_CASE("remove_tree deletes a tree deeper than any path may be long", "[nfs]") {
  // What a pod may write into its volume: 300 levels of 24-byte names, 7500 bytes of path,
  // more than the 4096 bytes any single NFS call here may name. Made with mkdirat on the
  // server's disk, one level at a time, as no path that long can be passed whole.
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = server.export_dir();
  client.create_directory("vol");
  int fd = ::open((root / "vol").c_str(), O_DIRECTORY | O_RDONLY);
  REQUIRE(fd >= 0);
  const std::string name = "level-of-a-deep-tree-xx";
  for (int i = 0; i < 300; ++i) {
    REQUIRE(::mkdirat(fd, name.c_str(), 0755) == 0);
    if (i % 50 == 0) {
      const int file = ::openat(fd, "data", O_CREAT | O_WRONLY, 0644);
      REQUIRE(file >= 0);
      ::close(file);
    }
    const int next = ::openat(fd, name.c_str(), O_DIRECTORY | O_RDONLY);
    ::close(fd);
    REQUIRE(next >= 0);
    fd = next;
  }
  ::close(fd);

  CHECK(client.remove_tree("vol"));
  CHECK_FALSE(fs::exists(root / "vol"));
  CHECK(local_entries(root).empty());
}

TEST_CASE("a path costs RPCs linear in its depth: create, stat and delete", "[nfs]") {
  // Walking by handle: one LOOKUP per level, each directory made inside its parent's handle.
  // Create, stat and remove_tree send nothing but calls by handle, so handle_calls() counts
  // every RPC they put on the wire. By path (libnfs resolving every prefix again from the
  // root) a 64-level create cost 64*65/2 = 2080 LOOKUPs for its walk alone.
  GaneshaServer server;
  ExportClient client(server.address());
  for (const std::size_t depth : {1u, 16u, 64u}) {
    INFO("depth " << depth);
    std::string path = "d" + std::to_string(depth);
    for (std::size_t level = 1; level < depth; ++level) path += "/l" + std::to_string(level);

    auto before = client.handle_calls();
    client.create_directory(path, {.mode = 0750, .uid = 1000, .gid = 1000});
    // 1 LOOKUP (not there), then a MKDIR and a SETATTR per level.
    CHECK(client.handle_calls() - before == 1 + 2 * depth);
    const fs::path local = server.export_dir() / path;
    CHECK(local_mode(local) == 0750);
    CHECK(local_stat(local).st_uid == 1000);

    before = client.handle_calls();
    const auto info = client.stat(path);
    REQUIRE(info);
    CHECK(info->type == FileType::directory);
    CHECK(client.handle_calls() - before == depth);  // one LOOKUP per level

    before = client.handle_calls();
    CHECK(client.remove_tree("d" + std::to_string(depth)));
    // 1 LOOKUP, then a READDIRPLUS and an RMDIR per level.
    CHECK(client.handle_calls() - before == 1 + 2 * depth);
    CHECK(local_entries(server.export_dir()).empty());
  }
}

TEST_CASE("hostile paths are refused before anything reaches the server", "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const std::string hostile[] = {"",
                                 "/",
                                 "/etc",
                                 "..",
                                 "../escape",
                                 "a/../..",
                                 "a/./b",
                                 "a//b",
                                 std::string("a\0b", 3),
                                 std::string(256, 'x')};
  for (const auto& path : hostile) {
    INFO("path: " << path.substr(0, 20));
    CHECK_THROWS_AS(client.create_directory(path), PathError);
    CHECK_THROWS_AS(client.remove_tree(path), PathError);
    CHECK_THROWS_AS(client.rename(path, "x"), PathError);
    CHECK_THROWS_AS(client.rename("x", path), PathError);
  }
  CHECK_THROWS_AS(client.stat("../x"), PathError);
  CHECK_THROWS_AS(client.list("/"), PathError);
  CHECK(local_entries(server.export_dir()).empty());
  CHECK(local_entries(server.state_dir() / "exports") == std::vector<std::string>{"export"});
}

TEST_CASE("a symlink planted on the server is never followed", "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = server.export_dir();
  const fs::path outside = server.state_dir() / "outside";
  fs::create_directories(outside / "victim");
  write_file(outside / "victim/data", "x");
  fs::create_directory_symlink(outside, root / "evil");
  client.create_directory("real");

  auto e = expect_nfs_error(ELOOP, [&] { client.create_directory("evil/vol"); });
  CHECK_THAT(e.what(), Catch::Contains("symlink"));
  expect_nfs_error(ELOOP, [&] { client.create_directory("evil"); });
  expect_nfs_error(ELOOP, [&] { client.remove_tree("evil"); });
  expect_nfs_error(ELOOP, [&] { client.remove_tree("evil/victim"); });
  expect_nfs_error(ELOOP, [&] { client.rename("evil/victim", "stolen"); });
  expect_nfs_error(ELOOP, [&] { client.rename("evil", "archived-evil"); });
  expect_nfs_error(ELOOP, [&] { client.rename("real", "evil/real"); });
  expect_nfs_error(ELOOP, [&] { client.list("evil"); });
  expect_nfs_error(ELOOP, [&] { client.stat("evil/victim"); });

  const auto link = client.stat("evil");  // lstat: the link itself
  REQUIRE(link);
  CHECK(link->type == FileType::symlink);
  CHECK(fs::is_symlink(root / "evil"));
  CHECK(local_entries(outside) == std::vector<std::string>{"victim"});
  CHECK(local_entries(outside / "victim") == std::vector<std::string>{"data"});
  CHECK(fs::is_directory(root / "real"));
}

TEST_CASE("root_squash export: a clear permission error and no half-made volume", "[nfs]") {
  GaneshaServer server({{"squashed", ExportMode::root_squash}});
  ExportClient client(server.address("squashed"));
  const fs::path root = server.export_dir("squashed");

  auto e = expect_nfs_error(EPERM, [&] {
    client.create_directory("ns/claim-vol", {.mode = 0770, .uid = 1000, .gid = 1000});
  });
  CHECK_FALSE(e.retryable());
  CHECK_THAT(e.what(), Catch::Contains("chown") && Catch::Contains("ns/claim-vol") &&
                           Catch::Contains("127.0.0.1:/squashed"));
  CHECK(local_entries(root).empty());  // both ns and ns/claim-vol were removed again

  // Without an owner the same volume can be made; it belongs to the squashed user.
  client.create_directory("plain", {.mode = 0770});
  CHECK(local_stat(root / "plain").st_uid == 4294967294u);
  CHECK(local_mode(root / "plain") == 0770);
  // A chown failing on an existing directory must leave that directory alone.
  expect_nfs_error(EPERM, [&] { client.create_directory("plain", {.uid = 1000}); });
  CHECK(fs::is_directory(root / "plain"));
}

TEST_CASE("an address that would smuggle URL options is refused before connecting", "[nfs]") {
  GaneshaServer server;
  for (const auto& [host, path] :
       std::vector<std::pair<std::string, std::string>>{{"127.0.0.1", "/export?uid=0&gid=0&a="},
                                                        {"127.0.0.1", "/export?version=4&a="},
                                                        {"127.0.0.1", "/export#x"},
                                                        {"127.0.0.1?uid=0&a=", "/export"},
                                                        {"127.0.0.1/export?x=", "/export"}}) {
    INFO(host << " " << path);
    auto address = server.address();
    address.server = host;
    address.export_path = path;
    auto e = expect_nfs_error(EINVAL, [&] { ExportClient client(address); });
    CHECK(e.op() == "mount");
    CHECK_FALSE(e.retryable());
  }
}

TEST_CASE("read-only export: EROFS, nothing written", "[nfs]") {
  GaneshaServer server({{"export"}, {"readonly", ExportMode::read_only}});
  ExportClient client(server.address("readonly"));
  auto e = expect_nfs_error(EROFS, [&] { client.create_directory("vol"); });
  CHECK_FALSE(e.retryable());
  CHECK_THAT(e.what(), Catch::Contains("Read-only file system"));
  CHECK(local_entries(server.export_dir("readonly")).empty());
  CHECK(client.list("").empty());
}

TEST_CASE("a stopped server gives a retryable error within the timeout, never a hang", "[nfs]") {
  GaneshaServer server;
  const auto timeout = std::chrono::seconds(2);
  ExportClient client(server.address("export", timeout));
  client.create_directory("before");
  server.stop();

  const auto start = std::chrono::steady_clock::now();
  auto e = expect_nfs_error(-1, [&] { client.create_directory("during"); });
  const auto took = std::chrono::steady_clock::now() - start;
  WARN("create_directory against a stopped server failed after "
       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
       << " ms: " << e.what());
  CHECK(e.retryable());
  CHECK_FALSE(client.healthy());
  // Generous bound: it catches a hang (libnfs waits forever without a timeout) without flaking.
  CHECK(took < timeout * 5);

  const auto connect_start = std::chrono::steady_clock::now();
  try {
    ExportClient fresh(server.address("export", timeout));
    FAIL("connected to a stopped server");
  } catch (const NfsError& connect_error) {
    CHECK(connect_error.retryable());
    CHECK(connect_error.op() == "mount");
  }
  CHECK(std::chrono::steady_clock::now() - connect_start < timeout * 5);
}

TEST_CASE("a closed write fence refuses every change and sends nothing", "[nfs]") {
  GaneshaServer server;
  ExportClient client(server.address());
  const fs::path root = server.export_dir();
  client.create_directory("vol");
  write_file(root / "vol" / "data", "keep me");
  client.create_directory("other");

  bool open = false;
  client.set_write_fence([&] { return open; });
  for (const auto& change : std::vector<std::function<void()>>{
           [&] { client.create_directory("new"); },
           [&] { client.create_directory("vol", {.mode = 0700}); },  // chmod of an existing one
           [&] { client.rename("vol", "archived-vol"); },
           [&] { client.remove_tree("vol"); },
           [&] { client.remove_tree("other"); },
       }) {
    auto e = expect_nfs_error(ECANCELED, change);
    CHECK_FALSE(e.retryable());
    CHECK_THAT(e.what(), Catch::Contains("fenced off"));
  }
  CHECK(client.healthy());  // a fence is not connection trouble
  CHECK(local_entries(root).size() == 2);
  CHECK(local_mode(root / "vol") == 0777);
  CHECK(fs::exists(root / "vol" / "data"));
  CHECK(fs::is_directory(root / "other"));
  // Reads go on.
  CHECK(client.list("") == std::vector<std::string>{"other", "vol"});

  open = true;
  client.rename("vol", "archived-vol");
  CHECK(fs::exists(root / "archived-vol" / "data"));
}

TEST_CASE("a create whose chmod times out leaves its directory: the outcome is unknown", "[nfs]") {
  // The moment of the split brain: the mkdir succeeded, the chmod got no answer (the client
  // or the server froze). Another replica may have adopted the directory meanwhile, so
  // removing it as "half-made" could remove a volume in use. The fence is the hook that
  // freezes the server right before the chmod goes out; the undo's rmdir would have been sent
  // next and carried out when the server woke up.
  GaneshaServer server;
  auto client =
      std::make_unique<ExportClient>(server.address("export", std::chrono::milliseconds(500)));
  const fs::path root = server.export_dir();
  // The server freezes right before the chmod goes out, for longer than the client's timeout,
  // and wakes up while whatever came next (the old undo's rmdir) still waits for its answer.
  int changes = 0;
  std::jthread waker;
  client->set_write_fence([&] {
    if (++changes == 2) {  // 1: mkdir, 2: chmod
      server.freeze();
      waker = std::jthread([&server] {
        std::this_thread::sleep_for(std::chrono::milliseconds(750));
        server.thaw();
      });
    }
    return true;
  });
  auto e = expect_nfs_error(-1, [&] { client->create_directory("vol", {.mode = 0750}); });
  CHECK(e.retryable());
  CHECK(e.op() == "chmod");
  waker.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(fs::is_directory(root / "vol"));
  CHECK_FALSE(client->healthy());

  // The retry, on a fresh client, finishes the job.
  ExportClient retry(server.address());
  retry.create_directory("vol", {.mode = 0750});
  CHECK(local_mode(root / "vol") == 0750);
}
