// Tenant isolation on the real control plane: one claim can never reach another's directory.
// With a pathPattern built from an annotation a tenant chooses where its volume goes; before
// the overlap rule, naming a victim's directory got the attacker a second PV on it (chmod'ed
// 0777 and chowned to the attacker), and deleting the attacker's claim archived the victim's
// data away.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

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
  std::this_thread::sleep_for(1s);
  CHECK(fs::exists(victim_dir / "precious"));

  // A sibling next to the victim is fine (names that share a prefix are other directories).
  env.create_claim("attackers", "neighbour", "by-annotation", annotated("victims/data-2"));
  env.wait_bound("attackers", "neighbour");
  CHECK(fs::is_directory(env.export_dir() / "victims" / "data-2"));
  CHECK(fs::exists(victim_dir / "precious"));
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
