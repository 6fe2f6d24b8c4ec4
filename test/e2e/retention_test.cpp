// archiveRetention: the leader removes archives of ours once older than the class says, and
// nothing else. The age is the archive directory's ctime, which our rename sets on nfs-ganesha
// (the file written inside earlier left its mtime older).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;

namespace {

std::int64_t ns_of(const struct timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("archives older than archiveRetention are removed by the leader, nothing else is") {
  E2eEnv env;
  env.options().resync = 1s;  // the expiry runs with every resync's sweep
  env.create_class("short", {{"archiveOnDelete", "true"}, {"archiveRetention", "4s"}});
  const fs::path root = env.export_dir();
  // Not ours: an "archive" by hand and someone's directory, both old enough.
  fs::create_directory(root / "archived-by-hand");
  fs::create_directory(root / "photos");
  // An archive named after a volume whose PV still exists (the PV is told when it goes).
  env.start_controller();
  env.create_claim("default", "held", "short");
  const json held = env.wait_bound("default", "held");
  const std::string held_pv = "pvc-" + str_at(held, "/metadata/uid");
  const std::string held_archive = "archived-default-held-" + held_pv;
  fs::create_directory(root / held_archive);

  env.create_claim("default", "tmp", "short");
  const std::string pv = "pvc-" + str_at(env.wait_bound("default", "tmp"), "/metadata/uid");
  const std::string dir = "default-tmp-" + pv;
  std::ofstream(root / dir / "index.html") << "hello";
  std::this_thread::sleep_for(1100ms);
  const auto deleted_at = wall_ns();
  env.delete_claim("default", "tmp");
  const fs::path archive = root / ("archived-" + dir);
  REQUIRE(wait_until([&] { return fs::exists(archive); }));
  const auto archived_seen = std::chrono::steady_clock::now();
  struct stat info {};
  REQUIRE(::stat(archive.c_str(), &info) == 0);
  // The rename set the ctime; the mtime is still the file's creation, before it.
  CHECK(ns_of(info.st_ctim) >= deleted_at - 50'000'000);
  CHECK(ns_of(info.st_mtim) < deleted_at - 1'000'000'000);

  REQUIRE(wait_until([&] { return !fs::exists(archive); }, 20s));
  // Never before its time (the archive existed from the rename on, before archived_seen).
  CHECK(std::chrono::steady_clock::now() - archived_seen >= 3500ms);
  CHECK(wait_until([&] { return !fs::exists(root / held_archive); }, 10s));
  CHECK(wait_until([&] { return env.has_event("", held_pv, "ArchiveExpired"); }, 10s));
  CHECK(wait_until([&] { return env.counts().archives_expired == 2; }, 5s));
  CHECK(fs::is_directory(root / "archived-by-hand"));
  CHECK(fs::is_directory(root / "photos"));
  CHECK(fs::is_directory(root / ("default-held-" + held_pv)));
}
