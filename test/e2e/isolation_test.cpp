// Tenant isolation on the real control plane: one claim can never reach another's directory.
// With a pathPattern built from an annotation a tenant chooses where its volume goes; before
// the overlap rule, naming a victim's directory got the attacker a second PV on it (chmod'ed
// 0777 and chowned to the attacker), and deleting the attacker's claim archived the victim's
// data away.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "nfs/export_client.h"
#include "nfs/volume_records.h"
#include "provisioner/kube/resource.h"
#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;

namespace {

std::string failure_message(E2eEnv& env, const std::string& ns, const std::string& name,
                            const std::string& reason = "ProvisioningFailed") {
  for (const auto& event : env.events_for(ns, name))
    if (event.value("reason", "") == reason && event.value("type", "") == "Warning")
      return event.value("message", "");
  return {};
}

json annotated(const std::string& path, const json& more = json::object()) {
  json annotations = more;
  annotations["path"] = path;
  return {{"metadata", {{"annotations", annotations}}}};
}

struct stat stat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st;
}

}  // namespace

TEST_CASE("a claim naming another's directory, or one above or inside it, is refused") {
  E2eEnv env;
  env.create_class("by-annotation", {{"pathPattern", "${.PVC.annotations.path}"},
                                     {"mountPermissions", "0750"},
                                     {"archiveOnDelete", "true"}});
  // nfs-subdir's README pattern: without the annotation it names the namespace directory.
  env.create_class("readme-pattern",
                   {{"pathPattern", "${.PVC.namespace}/${.PVC.annotations.nfs.io/storage-path}"}});
  // One worker: keys are worked one at a time in the order the informers queued them (the
  // deletions below are judged by what a later claim shows).
  env.options().workers = 1;
  env.start_controller();

  env.create_claim("victims", "data", "by-annotation", annotated("victims/data"));
  env.wait_bound("victims", "data");
  const fs::path victim_dir = env.export_dir() / "victims" / "data";
  std::ofstream(victim_dir / "precious") << "the victim's data";
  const auto victim_before = stat_of(victim_dir);

  // Same directory (with the attacker's mode and owner), inside it, the directory above it.
  const std::vector<std::pair<std::string, json>> attacks = {
      {"same",
       annotated("victims/data", {{"nfs.io/createMode", "0777"}, {"nfs.io/createUID", "4321"}})},
      {"same-spelled-differently", annotated("victims//data/")},
      {"inside", annotated("victims/data/sub")},
      {"above", annotated("victims")}};
  for (const auto& [name, extra] : attacks)
    env.create_claim("attackers", name, "by-annotation", extra);
  env.create_claim("victims", "no-annotation", "readme-pattern");  // names "victims"

  for (const auto& [name, extra] : attacks) {
    INFO(name);
    REQUIRE(wait_until([&] { return !failure_message(env, "attackers", name).empty(); }));
    CHECK_THAT(failure_message(env, "attackers", name),
               Catch::Contains("overlaps /export/victims/data, the directory of volume pvc-"));
    CHECK(str_at(env.get_claim("attackers", name), "/status/phase") == "Pending");
  }
  REQUIRE(wait_until([&] { return !failure_message(env, "victims", "no-annotation").empty(); }));
  CHECK_THAT(failure_message(env, "victims", "no-annotation"), Catch::Contains("overlaps"));

  // Nothing of the victim's was touched: one PV, same mode and owner, data in place.
  CHECK(env.list_pvs().size() == 1);
  const auto victim_after = stat_of(victim_dir);
  CHECK((victim_after.st_mode & 07777) == 0750);
  CHECK(victim_after.st_mode == victim_before.st_mode);
  CHECK(victim_after.st_uid == victim_before.st_uid);
  CHECK(entries(victim_dir) == std::vector<std::string>{"precious"});
  CHECK(entries(env.export_dir() / "victims") == std::vector<std::string>{"data"});

  // Deleting the refused claims removes nothing either.
  for (const auto& [name, extra] : attacks) env.delete_claim("attackers", name);

  // A sibling next to the victim is fine (names that share a prefix are other directories).
  env.create_claim("attackers", "neighbour", "by-annotation", annotated("victims/data-2"));
  env.wait_bound("attackers", "neighbour");
  CHECK(fs::is_directory(env.export_dir() / "victims" / "data-2"));
  // The deletions had their chance once the sibling is Bound: its claim came after them on the
  // same watch, and the one worker took their keys first. Had a deletion removed the victim's
  // directory, it would be gone now.
  CHECK(fs::exists(victim_dir / "precious"));
  CHECK(entries(victim_dir) == std::vector<std::string>{"precious"});
}

TEST_CASE("a volume whose directory another PV still uses is not archived until that one goes") {
  E2eEnv env;
  env.create_class("nfs", {{"archiveOnDelete", "true"}});
  env.start_controller();
  const json claim = env.create_claim("default", "data", "nfs");
  env.wait_bound("default", "data");
  const std::string pv_name = "pvc-" + str_at(claim, "/metadata/uid");
  const std::string directory = "default-data-" + pv_name;
  std::ofstream(env.export_dir() / directory / "file") << "in use";

  // An administrator's static PV on the same directory (for a backup job, say).
  env.api().create(nfsprov::kube::kPersistentVolumes, {},
                   {{"apiVersion", "v1"},
                    {"kind", "PersistentVolume"},
                    {"metadata", {{"name", "static-backup"}}},
                    {"spec",
                     {{"capacity", {{"storage", "1Gi"}}},
                      {"accessModes", {"ReadOnlyMany"}},
                      {"persistentVolumeReclaimPolicy", "Retain"},
                      {"nfs", {{"server", "127.0.0.1"}, {"path", "/export/" + directory}}}}}});
  env.delete_claim("default", "data");
  REQUIRE(
      wait_until([&] { return !failure_message(env, "", pv_name, "VolumeFailedDelete").empty(); }));
  CHECK_THAT(failure_message(env, "", pv_name, "VolumeFailedDelete"),
             Catch::Contains("volume static-backup uses /export/" + directory));
  CHECK(fs::exists(env.export_dir() / directory / "file"));
  CHECK(env.find_pv(pv_name).has_value());  // kept, with our finalizer, until it can be done

  env.api().remove(nfsprov::kube::kPersistentVolumes, {}, "static-backup");
  REQUIRE(wait_until([&] { return !env.find_pv(pv_name).has_value(); }, 30s));
  CHECK(entries(env.export_dir()) == std::vector<std::string>{"archived-" + directory});
}

TEST_CASE("a directory the provisioner did not make for the claim is never taken over") {
  E2eEnv env;
  env.create_class("by-annotation", {{"pathPattern", "${.PVC.annotations.path}"}});
  // Someone's data, and an empty directory, already on the export (a previous cluster's,
  // a backup, a hand-made directory): no PV says so, only the disk.
  fs::create_directories(env.export_dir() / "old-data");
  std::ofstream(env.export_dir() / "old-data" / "report.txt") << "from before";
  fs::permissions(env.export_dir() / "old-data",
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);  // 0750
  fs::create_directories(env.export_dir() / "empty");
  fs::permissions(env.export_dir() / "empty", fs::perms::owner_all);  // 0700
  env.start_controller();

  env.create_claim("default", "takes-old", "by-annotation",
                   annotated("old-data", {{"nfs.io/createMode", "0777"}}));
  env.create_claim("default", "takes-empty", "by-annotation", annotated("empty"));
  for (const char* name : {"takes-old", "takes-empty"}) {
    INFO(name);
    REQUIRE(wait_until([&] { return !failure_message(env, "default", name).empty(); }));
    CHECK_THAT(failure_message(env, "default", name),
               Catch::Contains("was not made by this provisioner for this claim") &&
                   Catch::Contains("bind a static PV"));
  }
  CHECK(env.list_pvs().empty());
  CHECK(mode_of(env.export_dir() / "old-data") == 0750);
  CHECK(mode_of(env.export_dir() / "empty") == 0700);
  CHECK(entries(env.export_dir() / "old-data") == std::vector<std::string>{"report.txt"});
  CHECK(records_left(env.export_dir()).empty());
}

namespace {

// What a provisioner killed between its mkdir and its PV's create leaves on the export: the
// record first, then the directory (made through NFS, as the provisioner makes them).
void leave_crash_remains(E2eEnv& env, const std::string& pv_name, const std::string& directory,
                         bool with_file = false) {
  nfsprov::nfs::ExportClient client(env.nfs().address());
  nfsprov::nfs::write_record(client, {pv_name, "by-annotation", directory});
  client.create_directory(directory, {.mode = 0777});
  if (with_file) std::ofstream(env.export_dir() / directory / "written") << "by hand";
}

}  // namespace

TEST_CASE("after a crash: a live claim adopts its directory, a deleted one's is cleaned up") {
  E2eEnv env;
  env.create_class("by-annotation", {{"pathPattern", "${.PVC.annotations.path}"}});
  // The claim exists, its volume was half made when the provisioner died.
  const json claim = env.create_claim("default", "survivor", "by-annotation", annotated("mine"));
  const std::string pv_name = "pvc-" + str_at(claim, "/metadata/uid");
  leave_crash_remains(env, pv_name, "mine");
  // Two claims deleted while no provisioner ran: an empty directory, and one with something in
  // it (put there by hand: no pod could have, there was no PV).
  leave_crash_remains(env, "pvc-00000000-0000-4000-8000-00000000dead", "gone-empty");
  leave_crash_remains(env, "pvc-00000000-0000-4000-8000-00000000beef", "gone-used", true);
  REQUIRE(records_left(env.export_dir()).size() == 3);

  env.start_controller();
  const json bound = env.wait_bound("default", "survivor");
  CHECK(str_at(bound, "/spec/volumeName") == pv_name);
  CHECK(str_at(*env.find_pv(pv_name), "/spec/nfs/path") == "/export/mine");
  CHECK(wait_until([&] { return records_left(env.export_dir()).empty(); }));
  CHECK(wait_until([&] {
    return entries(env.export_dir()) == std::vector<std::string>{"archived-gone-used", "mine"};
  }));
  CHECK(fs::exists(env.export_dir() / "archived-gone-used" / "written"));
}
