// What happens to a volume's directory when its claim goes: archive, delete, retain, Retain.
#include <catch2/catch.hpp>

#include <fstream>

#include "provisioner/kube/resource.h"
#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;

namespace {

// Provisions ns/name with class_name; returns {pv name, directory}.
std::pair<std::string, std::string> provision(E2eEnv& env, const std::string& name,
                                              const std::string& class_name) {
  env.create_claim("default", name, class_name);
  const json claim = env.wait_bound("default", name);
  const std::string pv_name = "pvc-" + str_at(claim, "/metadata/uid");
  const std::string dir = "default-" + name + "-" + pv_name;
  REQUIRE(fs::is_directory(env.export_dir() / dir));
  // A file inside, as a pod would have written, so "kept" and "archived" mean the data.
  std::ofstream(env.export_dir() / dir / "index.html") << "hello";
  return {pv_name, dir};
}

}  // namespace

TEST_CASE("archiveOnDelete false removes the directory and its content") {
  E2eEnv env;
  env.create_class("scratch", {{"archiveOnDelete", "false"}});
  env.start_controller();
  const auto [pv_name, dir] = provision(env, "tmp", "scratch");
  env.delete_claim("default", "tmp");
  CHECK(wait_until([&] { return !env.find_pv(pv_name); }));
  CHECK(entries(env.export_dir()).empty());
}

TEST_CASE(
    "each deleted volume is reclaimed exactly once, though the PV is delivered again "
    "after each of our writes and pv-protection holds it") {
  E2eEnv env;
  env.create_class("archived", {{"archiveOnDelete", "true"}});
  env.start_controller();
  std::vector<std::string> pvs;
  for (int i = 0; i < 5; ++i)
    pvs.push_back(provision(env, "once-" + std::to_string(i), "archived").first);
  for (int i = 0; i < 5; ++i) env.delete_claim("default", "once-" + std::to_string(i));
  CHECK(wait_until([&] { return env.list_pvs().empty(); }, 60s));
  CHECK(entries(env.export_dir()).size() == 5);
  for (const auto& name : entries(env.export_dir())) CHECK(name.starts_with("archived-"));
  // One deletion counted per volume, none failed (a second pass found the directory gone
  // and counted the volume again, or failed on the PV already deleted). Counted after the PV's
  // delete returns, so possibly after the list above saw it gone (a provision likewise).
  CHECK(
      wait_until([&] { return env.counts().deleted >= 5 && env.counts().provisioned >= 5; }, 10s));
  CHECK(env.counts().deleted == 5);
  CHECK(env.counts().delete_failures == 0);
  CHECK(env.counts().provisioned == 5);
}

TEST_CASE("onDelete wins over archiveOnDelete: retain keeps, delete removes") {
  E2eEnv env;
  env.create_class("keep", {{"onDelete", "retain"}, {"archiveOnDelete", "false"}});
  env.create_class("drop", {{"onDelete", "delete"}, {"archiveOnDelete", "true"}});
  env.start_controller();
  const auto [kept_pv, kept_dir] = provision(env, "kept", "keep");
  const auto [dropped_pv, dropped_dir] = provision(env, "dropped", "drop");
  env.delete_claim("default", "kept");
  env.delete_claim("default", "dropped");
  CHECK(wait_until([&] { return !env.find_pv(kept_pv) && !env.find_pv(dropped_pv); }));
  CHECK(entries(env.export_dir()) == std::vector<std::string>{kept_dir});
  CHECK(fs::exists(env.export_dir() / kept_dir / "index.html"));
}

TEST_CASE("an existing archive is never overwritten: the second one gets a timestamp") {
  E2eEnv env;
  env.create_class("same-name", {{"pathPattern", "${.PVC.name}"}});
  env.start_controller();
  env.create_claim("default", "reused", "same-name");
  const json first = env.wait_bound("default", "reused");
  std::ofstream(env.export_dir() / "reused" / "generation") << "1";
  env.delete_claim("default", "reused");
  REQUIRE(wait_until([&] { return !env.find_pv("pvc-" + str_at(first, "/metadata/uid")); }));
  REQUIRE(entries(env.export_dir()) == std::vector<std::string>{"archived-reused"});

  // The same name again: same directory, then a second archive next to the first.
  env.create_claim("default", "reused", "same-name");
  const json second = env.wait_bound("default", "reused");
  std::ofstream(env.export_dir() / "reused" / "generation") << "2";
  env.delete_claim("default", "reused");
  REQUIRE(wait_until([&] { return !env.find_pv("pvc-" + str_at(second, "/metadata/uid")); }));
  const auto names = entries(env.export_dir());
  REQUIRE(names.size() == 2);
  CHECK(names[0] == "archived-reused");
  CHECK(names[1].starts_with("archived-reused-"));
  std::string generation;
  std::ifstream(env.export_dir() / "archived-reused" / "generation") >> generation;
  CHECK(generation == "1");
  std::ifstream(env.export_dir() / names[1] / "generation") >> generation;
  CHECK(generation == "2");
}

TEST_CASE("reclaim policy Retain: PV and directory stay, and kubectl delete pv then completes") {
  E2eEnv env;
  env.create_class("precious", json::object(), "Retain");
  env.create_class("scratch", json::object());
  // One worker: keys are worked one at a time in the order the informers queued them.
  env.options().workers = 1;
  env.start_controller();
  const auto [pv_name, dir] = provision(env, "db", "precious");
  const auto [witness_pv, witness_dir] = provision(env, "witness", "scratch");
  env.delete_claim("default", "db");
  REQUIRE(wait_until([&] {
    const auto pv = env.find_pv(pv_name);
    return pv && str_at(*pv, "/status/phase") == "Released";
  }));
  // The workers have had their chance to (wrongly) act on it once a Delete volume released
  // after it is gone: its PV's update came later on the same watch, and the one worker took
  // the retained PV's key first. A reclaimer that deleted Retain volumes too would have done
  // so by then, and the checks below fail.
  env.delete_claim("default", "witness");
  REQUIRE(wait_until([&] { return !env.find_pv(witness_pv); }));
  CHECK(env.find_pv(pv_name));
  CHECK(fs::exists(env.export_dir() / dir / "index.html"));

  // The user deletes the PV: our finalizer must not keep it, the data stays.
  env.api().remove(nfsprov::kube::kPersistentVolumes, {}, pv_name);
  const bool gone = wait_until([&] { return !env.find_pv(pv_name); });
  if (!gone) INFO("still there: " << env.find_pv(pv_name)->dump());
  CHECK(gone);
  CHECK(fs::exists(env.export_dir() / dir / "index.html"));
}

TEST_CASE("a released volume whose directory is already gone is deleted with a warning only") {
  E2eEnv env;
  env.create_class("vanishing", json::object());
  env.start_controller();
  const auto [pv_name, dir] = provision(env, "gone", "vanishing");
  fs::remove_all(env.export_dir() / dir);
  env.delete_claim("default", "gone");
  CHECK(wait_until([&] { return !env.find_pv(pv_name); }));
  CHECK(entries(env.export_dir()).empty());
}

TEST_CASE("a released PV of ours whose path lies outside its export is never touched") {
  E2eEnv env;
  env.create_class("plain", {{"archiveOnDelete", "false"}});
  fs::create_directories(env.export_dir() / "victim");
  std::ofstream(env.export_dir() / "victim" / "data") << "keep me";
  env.start_controller();
  // PVs claiming to be ours, for claims that do not exist (so they become Released), with
  // paths that climb out of the share or lie beside it.
  for (const auto& [name, path] : std::vector<std::pair<std::string, std::string>>{
           {"pvc-climbing", "/export/../export/victim"}, {"pvc-beside", "/other/victim"}}) {
    env.api().create(nfsprov::kube::kPersistentVolumes, {},
                     {{"apiVersion", "v1"},
                      {"kind", "PersistentVolume"},
                      {"metadata",
                       {{"name", name},
                        {"annotations",
                         {{"pv.kubernetes.io/provisioned-by", kProvisioner},
                          {"nfs-provisioner.io/share", "/export"}}}}},
                      {"spec",
                       {{"capacity", {{"storage", "1Gi"}}},
                        {"accessModes", {"ReadWriteMany"}},
                        {"persistentVolumeReclaimPolicy", "Delete"},
                        {"storageClassName", "plain"},
                        {"nfs", {{"server", "127.0.0.1"}, {"path", path}}},
                        {"claimRef",
                         {{"kind", "PersistentVolumeClaim"},
                          {"apiVersion", "v1"},
                          {"namespace", "default"},
                          {"name", "missing-" + name},
                          {"uid", "00000000-0000-0000-0000-000000000000"}}}}}});
  }
  for (const auto& name : {"pvc-climbing", "pvc-beside"}) {
    CHECK(wait_until([&] { return env.has_event("", name, "VolumeFailedDelete"); }));
    CHECK(env.find_pv(name));
  }
  CHECK(entries(env.export_dir()) == std::vector<std::string>{"victim"});
  CHECK(fs::exists(env.export_dir() / "victim" / "data"));
}
