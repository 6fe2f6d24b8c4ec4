// DirectoryIndex: no two volumes overlap, no deletion removes another volume's directory.
#include <catch2/catch.hpp>

#include "provisioner/core/directory_index.h"

using nfsprov::core::DirectoryIndex;
using nlohmann::json;

namespace {

constexpr const char* kUs = "example.com/nfs";

json pv(const std::string& name, const std::string& path, const std::string& by = kUs,
        const std::string& server = "10.0.0.5") {
  json v = {{"metadata", {{"name", name}}},
            {"spec", {{"nfs", {{"server", server}, {"path", path}}}}}};
  if (!by.empty()) v["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] = by;
  return v;
}

std::string overlap_of(DirectoryIndex& index, const std::string& path, const std::string& name) {
  auto found = index.reserve("10.0.0.5", path, name);
  return found ? found->pv_name + " " + found->path : "";
}

}  // namespace

TEST_CASE("directories: a new volume may not equal, contain or lie inside one of ours",
          "[directories]") {
  DirectoryIndex index(kUs);
  index.volume_seen(pv("pvc-victim", "/export/team/data"));
  CHECK(overlap_of(index, "/export/team/data", "pvc-new") == "pvc-victim /export/team/data");
  CHECK(overlap_of(index, "/export/team/data/inner", "pvc-new") == "pvc-victim /export/team/data");
  // The namespace directory above its volumes (nfs-subdir's README pattern with the
  // annotation missing): deleting it would remove its siblings.
  CHECK(overlap_of(index, "/export/team", "pvc-new") == "pvc-victim /export/team/data");
  CHECK(overlap_of(index, "/export", "pvc-new") == "pvc-victim /export/team/data");
  // Names that only share a prefix are other directories.
  CHECK(overlap_of(index, "/export/team/data-2", "pvc-a") == "");
  CHECK(overlap_of(index, "/export/team/dat", "pvc-b") == "");
  CHECK(overlap_of(index, "/export/team/data.old", "pvc-c") == "");
  // Another server, another disk.
  CHECK_FALSE(index.reserve("10.0.0.6", "/export/team/data", "pvc-d"));
  // Paths are compared normalized.
  CHECK(overlap_of(index, "/export//team/data/", "pvc-e") == "pvc-victim /export/team/data");
  // The volume itself may always retake its own directory (a retry).
  CHECK(overlap_of(index, "/export/team/data", "pvc-victim") == "");
}

TEST_CASE("directories: a reservation holds a directory before its PV exists", "[directories]") {
  DirectoryIndex index(kUs);
  CHECK(overlap_of(index, "/export/shared", "pvc-first") == "");
  // The second claim of the same burst, before the first PV is in the cache.
  CHECK(overlap_of(index, "/export/shared", "pvc-second") == "pvc-first /export/shared");
  CHECK(overlap_of(index, "/export/shared", "pvc-first") == "");  // its own retry
  // Its claim deleted before the volume was made: the directory is free again.
  index.release("pvc-first");
  CHECK(overlap_of(index, "/export/shared", "pvc-second") == "");
  // Once its PV was seen, a release does nothing: only the PV's deletion frees it.
  index.volume_seen(pv("pvc-second", "/export/shared"));
  index.release("pvc-second");
  CHECK(overlap_of(index, "/export/shared", "pvc-third") == "pvc-second /export/shared");
  index.volume_gone("pvc-second");
  CHECK(overlap_of(index, "/export/shared", "pvc-third") == "");
}

TEST_CASE("directories: a static PV of the whole export may hold our volumes, not share one",
          "[directories]") {
  DirectoryIndex index(kUs);
  index.volume_seen(pv("backup-all", "/export", ""));  // not ours: no provisioned-by
  index.volume_seen(pv("legacy-data", "/export/legacy", "someone-else"));
  CHECK(overlap_of(index, "/export/new", "pvc-a") == "");
  CHECK(overlap_of(index, "/export/legacy", "pvc-b") == "legacy-data /export/legacy");
  CHECK(overlap_of(index, "/", "pvc-c") != "");
  // A PV without an nfs source is not a directory.
  index.volume_seen({{"metadata", {{"name", "local"}}}, {"spec", {{"hostPath", {{"path", "/"}}}}}});
  CHECK(overlap_of(index, "/export/other", "pvc-d") == "");
}

TEST_CASE("directories: a deletion spares directories other PVs use or hold", "[directories]") {
  DirectoryIndex index(kUs);
  index.volume_seen(pv("pvc-ns", "/export/team"));
  index.volume_seen(pv("pvc-inner", "/export/team/data"));
  index.volume_seen(pv("pvc-twin-a", "/export/twin"));
  index.volume_seen(pv("pvc-twin-b", "/export/twin"));  // two PVs on one directory (by hand)
  auto below = index.in_use_below("10.0.0.5", "/export/team", "pvc-ns");
  REQUIRE(below);
  CHECK(below->pv_name == "pvc-inner");
  CHECK_FALSE(index.in_use_below("10.0.0.5", "/export/team/data", "pvc-inner"));  // above: fine
  auto twin = index.in_use_below("10.0.0.5", "/export/twin", "pvc-twin-a");
  REQUIRE(twin);
  CHECK(twin->pv_name == "pvc-twin-b");
  index.volume_gone("pvc-twin-b");
  CHECK_FALSE(index.in_use_below("10.0.0.5", "/export/twin", "pvc-twin-a"));
  // A PV that moved (an edited path) no longer holds its old directory.
  index.volume_seen(pv("pvc-inner", "/export/elsewhere"));
  CHECK_FALSE(index.in_use_below("10.0.0.5", "/export/team", "pvc-ns"));
}

TEST_CASE("directories: paths normalize to single slashes without a trailing one",
          "[directories]") {
  CHECK(DirectoryIndex::normalized("//a//b/") == "/a/b");
  CHECK(DirectoryIndex::normalized("/") == "/");
  CHECK(DirectoryIndex::normalized("/a") == "/a");
}
