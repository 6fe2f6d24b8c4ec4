#include <catch2/catch.hpp>

#include "provisioner/core/deletion_planner.h"

using namespace nfsprov::core;
using nlohmann::json;

namespace {

constexpr const char* kName = "example.com/nfs";

ProvisionerDefaults defaults() {
  ProvisionerDefaults d;
  d.provisioner_name = kName;
  d.export_address.server = "10.0.0.5";
  d.export_address.export_path = "/srv/nfs";
  d.export_address.nfs_port = 2049;
  d.export_address.mount_port = 20048;
  return d;
}

// A Released PV as our provisioner wrote it (share annotation optional, as nfs-subdir PVs
// lack it).
json released_pv(std::string path = "/srv/nfs/default-www-0-pvc-1", bool share = true) {
  json pv = {{"metadata",
              {{"name", "pvc-1"}, {"annotations", {{"pv.kubernetes.io/provisioned-by", kName}}}}},
             {"spec",
              {{"persistentVolumeReclaimPolicy", "Delete"},
               {"storageClassName", "nfs"},
               {"nfs", {{"server", "10.0.0.5"}, {"path", path}}}}},
             {"status", {{"phase", "Released"}}}};
  if (share) pv["metadata"]["annotations"]["nfs-provisioner.io/share"] = "/srv/nfs";
  return pv;
}

json storage_class(json parameters = json::object()) {
  return {{"metadata", {{"name", "nfs"}}}, {"provisioner", kName}, {"parameters", parameters}};
}

DeletionDecision decide(const json& pv, const json* storage_class) {
  return DeletionPlanner(defaults()).plan(pv, storage_class);
}

DeletionPlan acted(const json& pv, const json* storage_class) {
  auto decision = decide(pv, storage_class);
  if (auto* refusal = std::get_if<Refusal>(&decision)) FAIL(refusal->message);
  if (auto* skip = std::get_if<SkipDeletion>(&decision)) FAIL("skipped: " + skip->why);
  return std::get<DeletionPlan>(decision);
}

Refusal refused(const json& pv, const json* storage_class) {
  auto decision = decide(pv, storage_class);
  if (!std::holds_alternative<Refusal>(decision)) FAIL("expected a refusal");
  return std::get<Refusal>(decision);
}

}  // namespace

TEST_CASE("deletion: default class archives next to the directory", "[deletion]") {
  json c = storage_class();
  DeletionPlan plan = acted(released_pv(), &c);
  CHECK(plan.action == DeletionAction::archive);
  CHECK(plan.directory == "default-www-0-pvc-1");
  CHECK(plan.archive_directory == "archived-default-www-0-pvc-1");
  CHECK(plan.export_address == defaults().export_address);
}

TEST_CASE("deletion: onDelete wins, else archiveOnDelete as Go's ParseBool", "[deletion]") {
  struct Case {
    json parameters;
    DeletionAction action;
  };
  for (const auto& [parameters, action] : std::initializer_list<Case>{
           {{{"onDelete", "delete"}}, DeletionAction::remove},
           {{{"onDelete", "retain"}}, DeletionAction::retain},
           {{{"onDelete", "archive"}}, DeletionAction::archive},
           {{{"onDelete", "delete"}, {"archiveOnDelete", "true"}}, DeletionAction::remove},
           {{{"archiveOnDelete", "false"}}, DeletionAction::remove},
           {{{"archiveOnDelete", "F"}}, DeletionAction::remove},
           {{{"archiveOnDelete", "0"}}, DeletionAction::remove},
           {{{"archiveOnDelete", "True"}}, DeletionAction::archive},
           {{{"archiveOnDelete", "1"}}, DeletionAction::archive},
       }) {
    INFO(parameters.dump());
    json c = storage_class(parameters);
    DeletionPlan plan = acted(released_pv(), &c);
    CHECK(plan.action == action);
    CHECK(plan.archive_directory.empty() == (action != DeletionAction::archive));
  }
  for (json parameters : {json{{"onDelete", "purge"}}, json{{"archiveOnDelete", "no"}},
                          json{{"archiveOnDelete", "yes"}}, json{{"archiveOnDelete", ""}}}) {
    INFO(parameters.dump());
    json c = storage_class(parameters);
    CHECK(refused(released_pv(), &c).reason == "InvalidParameter");
  }
}

TEST_CASE("deletion: archive names of long directories stay within 255 bytes", "[deletion]") {
  std::string name(255, 'n');
  DeletionPlan plan = acted(released_pv("/srv/nfs/a/" + name), nullptr);
  CHECK(plan.directory == "a/" + name);
  CHECK(plan.archive_directory == "a/archived-" + std::string(kMaxArchiveNameBytes - 9, 'n'));
  std::string stamped = timestamped_archive_directory(plan.archive_directory,
                                                      std::chrono::system_clock::time_point{});
  CHECK(stamped.size() - 2 == 255);
}

TEST_CASE("deletion: a truncated archive name never splits a UTF-8 character", "[deletion]") {
  // "archived-" (9 bytes) + 228 ASCII bytes: the limit (238 bytes) falls between the two
  // bytes of the first "\xc3\xa9" (é). The cut goes before it, not through it.
  std::string name = std::string(228, 'n');
  for (int i = 0; i < 10; ++i) name += "\xc3\xa9";
  DeletionPlan plan = acted(released_pv("/srv/nfs/" + name), nullptr);
  CHECK(plan.archive_directory == "archived-" + std::string(228, 'n'));
  // One byte later the limit falls after a whole "é", which stays.
  name = std::string(227, 'n');
  for (int i = 0; i < 10; ++i) name += "\xc3\xa9";
  plan = acted(released_pv("/srv/nfs/" + name), nullptr);
  CHECK(plan.archive_directory == "archived-" + std::string(227, 'n') + "\xc3\xa9");
}

TEST_CASE("deletion: a class that is gone archives (the safe choice)", "[deletion]") {
  CHECK(acted(released_pv(), nullptr).action == DeletionAction::archive);
}

TEST_CASE("deletion: skips PVs that are not ours, not Released or not Delete", "[deletion]") {
  json c = storage_class({{"onDelete", "delete"}});
  json other = released_pv();
  other["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] = "someone/else";
  CHECK(std::get<SkipDeletion>(decide(other, &c)).why == "PV was provisioned by someone/else");
  json manual = released_pv();
  manual["metadata"].erase("annotations");
  CHECK(std::holds_alternative<SkipDeletion>(decide(manual, &c)));
  json bound = released_pv();
  bound["status"]["phase"] = "Bound";
  CHECK(std::holds_alternative<SkipDeletion>(decide(bound, &c)));
  for (const char* policy : {"Retain", "Recycle"}) {
    json pv = released_pv();
    pv["spec"]["persistentVolumeReclaimPolicy"] = policy;
    CHECK(std::holds_alternative<SkipDeletion>(decide(pv, &c)));
  }
}

TEST_CASE("deletion: nested pathPattern volumes use the whole path", "[deletion]") {
  json c = storage_class();
  DeletionPlan plan = acted(released_pv("/srv/nfs/default/web/static"), &c);
  CHECK(plan.directory == "default/web/static");
  CHECK(plan.archive_directory == "default/web/archived-static");
  plan = acted(released_pv("/srv/nfs//default/./web/"), &c);
  CHECK(plan.directory == "default/web");
}

TEST_CASE("deletion: the share comes from our annotation, the class, then the default",
          "[deletion]") {
  json pv = released_pv("/volume1/k8s/a", false);
  pv["spec"]["nfs"]["server"] = "nas.local";
  json c = storage_class({{"share", "/volume1/k8s"}, {"server", "nas.local"}});
  DeletionPlan plan = acted(pv, &c);
  CHECK(plan.export_address.server == "nas.local");
  CHECK(plan.export_address.export_path == "/volume1/k8s");
  CHECK(plan.export_address.nfs_port == 0);
  CHECK(plan.directory == "a");

  // nfs-subdir's own PVs (no share annotation, class without share): the default export.
  json plain = storage_class();
  plan = acted(released_pv("/srv/nfs/ns-c-pvc-9", false), &plain);
  CHECK(plan.export_address == defaults().export_address);
  CHECK(plan.directory == "ns-c-pvc-9");

  // The annotation wins over a class whose share changed since.
  json changed = storage_class({{"share", "/elsewhere"}});
  CHECK(acted(released_pv("/srv/nfs/x"), &changed).export_address.export_path == "/srv/nfs");

  json root = released_pv("/x/y");
  root["metadata"]["annotations"]["nfs-provisioner.io/share"] = "/";
  plan = acted(root, &plain);
  CHECK(plan.export_address.export_path == "/");
  CHECK(plan.directory == "x/y");
}

TEST_CASE("deletion: recorded ports beat the class's", "[deletion]") {
  json pv = released_pv("/data/a", false);
  pv["spec"]["nfs"]["server"] = "nas.local";
  pv["metadata"]["annotations"]["nfs-provisioner.io/share"] = "/data";
  pv["metadata"]["annotations"]["nfs-provisioner.io/nfs-port"] = "12049";
  pv["metadata"]["annotations"]["nfs-provisioner.io/mount-port"] = "12048";
  DeletionPlan plan = acted(pv, nullptr);
  CHECK(plan.export_address.nfs_port == 12049);
  CHECK(plan.export_address.mount_port == 12048);
  pv["metadata"]["annotations"]["nfs-provisioner.io/nfs-port"] = "99999";
  CHECK(refused(pv, nullptr).reason == "InvalidAnnotation");
}

TEST_CASE("deletion: paths outside the share, at its root or with .. are never touched",
          "[deletion]") {
  json c = storage_class({{"onDelete", "delete"}});
  for (const char* path :
       {"/srv/nfs", "/srv/nfs/", "/srv/nfs/.", "/srv/nfsother/x", "/etc", "/srv/nfs/../nfs/x",
        "/srv/nfs/a/../../etc", "srv/nfs/x", "/", "/srv/nfs/.."}) {
    INFO(path);
    Refusal refusal = refused(released_pv(path), &c);
    CHECK_THAT(refusal.message, Catch::Contains("PV path"));
  }
  json no_nfs = released_pv();
  no_nfs["spec"].erase("nfs");
  CHECK(refused(no_nfs, &c).reason == "NotNfs");
  json bad_share = released_pv();
  bad_share["metadata"]["annotations"]["nfs-provisioner.io/share"] = "/a/../b";
  CHECK(refused(bad_share, &c).reason == "InvalidShare");
}

TEST_CASE("deletion: timestamped archive names for collisions", "[deletion]") {
  using namespace std::chrono;
  auto when =
      sys_days{year{2026} / 11 / 25} + hours{15} + minutes{18} + seconds{28} + milliseconds{999};
  CHECK(timestamped_archive_directory("a/archived-x", when) == "a/archived-x-20261125T151828Z");
  CHECK(timestamped_archive_directory("archived-y", sys_days{year{1999} / 1 / 2}) ==
        "archived-y-19990102T000000Z");
}
