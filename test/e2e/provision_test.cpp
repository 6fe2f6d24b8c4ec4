// Claims of our classes become directories on the right export and bound PVs.
#include <catch2/catch.hpp>

#include <algorithm>

#include "provisioner/kube/resource.h"
#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;

TEST_CASE("demo: StatefulSet claims become bound RWX PVs on 0777 directories, deletion archives") {
  E2eEnv env;
  env.create_class("managed-nfs-storage", {{"archiveOnDelete", "true"}});
  env.start_controller();
  const std::vector<std::string> names = {"www-sample-statefulset-0", "www-sample-statefulset-1",
                                          "www-sample-statefulset-2"};
  for (const auto& name : names) env.create_claim("default", name, "managed-nfs-storage");

  std::vector<std::string> directories, pv_names;
  for (const auto& name : names) {
    const json claim = env.wait_bound("default", name);
    const std::string pv_name = "pvc-" + str_at(claim, "/metadata/uid");
    const std::string dir = "default-" + name + "-" + pv_name;
    pv_names.push_back(pv_name);
    directories.push_back(dir);
    CHECK(str_at(claim, "/spec/volumeName") == pv_name);

    const auto pv = env.find_pv(pv_name);
    REQUIRE(pv);
    CHECK(str_at(*pv, "/status/phase") == "Bound");
    CHECK(str_at(*pv, "/spec/nfs/server") == "127.0.0.1");
    CHECK(str_at(*pv, "/spec/nfs/path") == "/export/" + dir);
    CHECK(pv->at("/spec/accessModes"_json_pointer) == json::array({"ReadWriteMany"}));
    CHECK(str_at(*pv, "/spec/capacity/storage") == "1Gi");
    CHECK(str_at(*pv, "/spec/persistentVolumeReclaimPolicy") == "Delete");
    CHECK(str_at(*pv, "/spec/storageClassName") == "managed-nfs-storage");
    CHECK(str_at(*pv, "/spec/claimRef/uid") == str_at(claim, "/metadata/uid"));
    CHECK(str_at(*pv, "/spec/claimRef/name") == name);
    CHECK(str_at(*pv, "/metadata/annotations/pv.kubernetes.io~1provisioned-by") == kProvisioner);
    CHECK(pv->at("/metadata/finalizers"_json_pointer)
              .dump()
              .find("external-provisioner.volume.kubernetes.io/finalizer") != std::string::npos);

    CHECK(fs::is_directory(env.export_dir() / dir));
    CHECK(mode_of(env.export_dir() / dir) == 0777);
    CHECK(wait_until([&] {
      return env.has_event("default", name, "Provisioning") &&
             env.has_event("default", name, "ProvisioningSucceeded");
    }));
  }
  std::sort(directories.begin(), directories.end());
  CHECK(entries(env.export_dir()) == directories);

  // With the provisioner stopped, deleted claims leave their PVs Released...
  env.stop_controller();
  for (const auto& name : names) env.delete_claim("default", name);
  for (const auto& pv_name : pv_names)
    CHECK(wait_until([&] {
      const auto pv = env.find_pv(pv_name);
      return pv && str_at(*pv, "/status/phase") == "Released";
    }));
  // ...and once it runs again, each directory is archived and each PV is gone.
  env.start_controller();
  for (const auto& pv_name : pv_names) CHECK(wait_until([&] { return !env.find_pv(pv_name); }));
  std::vector<std::string> archived;
  for (const auto& dir : directories) archived.push_back("archived-" + dir);
  CHECK(entries(env.export_dir()) == archived);
}

TEST_CASE("pathPattern with labels and annotations makes nested directories, archived in place") {
  E2eEnv env;
  env.create_class(
      "patterned",
      {{"pathPattern",
        "${.PVC.namespace}/${.PVC.labels.team}/${.PVC.annotations.nfs.io/storage-path}"}});
  env.start_controller();
  env.create_claim(
      "default", "data", "patterned",
      {{"metadata",
        {{"labels", {{"team", "web"}}}, {"annotations", {{"nfs.io/storage-path", "site"}}}}}});
  const json claim = env.wait_bound("default", "data");
  const std::string pv_name = "pvc-" + str_at(claim, "/metadata/uid");
  const auto pv = env.find_pv(pv_name);
  REQUIRE(pv);
  CHECK(str_at(*pv, "/spec/nfs/path") == "/export/default/web/site");
  CHECK(fs::is_directory(env.export_dir() / "default/web/site"));
  CHECK(mode_of(env.export_dir() / "default/web/site") == 0777);

  env.delete_claim("default", "data");
  CHECK(wait_until([&] { return !env.find_pv(pv_name); }));
  CHECK(entries(env.export_dir() / "default/web") == std::vector<std::string>{"archived-site"});
  CHECK(entries(env.export_dir()) == std::vector<std::string>{"default"});
}

TEST_CASE("two classes on two NFS servers: each claim lands on its own server") {
  E2eEnv env(2);
  env.create_class("first", {{"archiveOnDelete", "false"}});
  env.create_class("second", {{"server", "127.0.0.1"},
                              {"share", "/export"},
                              {"nfsPort", std::to_string(env.nfs(1).nfs_port())},
                              {"mountPort", std::to_string(env.nfs(1).mount_port())},
                              {"archiveOnDelete", "false"}});
  env.start_controller();
  env.create_claim("default", "on-first", "first");
  env.create_claim("default", "on-second", "second");
  const json first = env.wait_bound("default", "on-first");
  const json second = env.wait_bound("default", "on-second");
  const std::string first_dir = "default-on-first-pvc-" + str_at(first, "/metadata/uid");
  const std::string second_dir = "default-on-second-pvc-" + str_at(second, "/metadata/uid");
  CHECK(entries(env.export_dir(0)) == std::vector<std::string>{first_dir});
  CHECK(entries(env.export_dir(1)) == std::vector<std::string>{second_dir});

  env.delete_claim("default", "on-first");
  env.delete_claim("default", "on-second");
  CHECK(wait_until([&] { return env.list_pvs().empty(); }));
  CHECK(entries(env.export_dir(0)).empty());
  CHECK(entries(env.export_dir(1)).empty());
}

TEST_CASE("WaitForFirstConsumer: provisioned only once a node is selected") {
  E2eEnv env;
  env.create_class("late", json::object(), "Delete", "WaitForFirstConsumer");
  env.start_controller();
  env.create_claim("default", "late-claim", "late");
  // Nothing may happen while no consumer is scheduled; give the workers a real chance.
  std::this_thread::sleep_for(1500ms);
  CHECK(env.list_pvs().empty());
  CHECK(entries(env.export_dir()).empty());
  CHECK(str_at(env.get_claim("default", "late-claim"), "/status/phase") != "Bound");

  env.api().merge_patch(
      nfsprov::kube::kPersistentVolumeClaims, "default", "late-claim",
      {{"metadata", {{"annotations", {{"volume.kubernetes.io/selected-node", "pi-1"}}}}}});
  const json claim = env.wait_bound("default", "late-claim");
  CHECK(fs::is_directory(env.export_dir() /
                         ("default-late-claim-pvc-" + str_at(claim, "/metadata/uid"))));
}

TEST_CASE("claims of other provisioners' classes are left alone") {
  E2eEnv env;
  env.create_class("ours", json::object());
  env.api().create(nfsprov::kube::kStorageClasses, {},
                   {{"apiVersion", "storage.k8s.io/v1"},
                    {"kind", "StorageClass"},
                    {"metadata", {{"name", "theirs"}}},
                    {"provisioner", "example.com/other"}});
  env.start_controller();
  env.create_claim("default", "foreign", "theirs");
  env.create_claim("default", "mine", "ours");
  env.wait_bound("default", "mine");
  CHECK(env.list_pvs().size() == 1);
  CHECK(entries(env.export_dir()).size() == 1);
  CHECK_FALSE(env.has_event("default", "foreign", "Provisioning"));
}
