// Claims of our classes become directories on the right export and bound PVs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

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

namespace {

// The example manifests as a user applies them, from the source tree.
std::string manifest(const std::string& relative) {
  return "'" + (nfsprov::testing::KubeCluster::source_dir() / relative).string() + "'";
}

std::string pod_phase(E2eEnv& env, const std::string& name) {
  try {
    return str_at(env.get_pod("default", name), "/status/phase");
  } catch (const nfsprov::kube::ApiError&) {
    return {};
  }
}

// RFC 3339 seconds ("2026-12-01T09:40:00Z") compare as strings.
std::string ready_since(const json& pod) {
  for (const auto& c : pod.at("/status/conditions"_json_pointer))
    if (c.value("type", "") == "Ready" && c.value("status", "") == "True")
      return c.value("lastTransitionTime", "");
  return {};
}

}  // namespace

TEST_CASE(
    "the seed's StatefulSet through kubectl: Pending without us, then Running pods on "
    "Bound RWX volumes, archived by the seed's clean-up") {
  E2eEnv env;
  auto& k = env.cluster();
  k.kubectl_ok("apply -f " + manifest("deploy/class.yaml"));
  k.kubectl_ok("apply -n default -f " + manifest("deploy/examples/statefulset.yaml"));

  // What the seed's author saw: nothing creates volumes, the scheduler says why.
  std::string describe;
  CHECK(wait_until(
      [&] {
        k.kubectl("describe pod sample-statefulset-0 -n default", &describe);
        return describe.find("pod has unbound immediate PersistentVolumeClaims") !=
               std::string::npos;
      },
      60s));
  INFO(describe);

  // With the provisioner: the pods come up one after the other (OrderedReady).
  env.start_controller();
  const std::vector<std::string> pods = {"sample-statefulset-0", "sample-statefulset-1",
                                         "sample-statefulset-2"};
  for (const auto& pod : pods) {
    INFO(pod);
    CHECK(wait_until([&] { return pod_phase(env, pod) == "Running"; }, 90s));
  }
  for (std::size_t i = 1; i < pods.size(); ++i) {
    const json before = env.get_pod("default", pods[i - 1]);
    const json after = env.get_pod("default", pods[i]);
    CHECK(str_at(after, "/metadata/creationTimestamp") >= ready_since(before));
    const std::string node = str_at(after, "/spec/nodeName");
    CHECK((node == "raspi002" || node == "raspi003"));
  }

  const std::string pv_pvc = k.kubectl_ok("get pv,pvc -n default --no-headers");
  INFO(pv_pvc);
  std::vector<std::string> directories;
  std::size_t bound_rwx_lines = 0;
  std::istringstream lines(pv_pvc);
  for (std::string line; std::getline(lines, line);)
    if (line.find("RWX") != std::string::npos && line.find("Bound") != std::string::npos)
      ++bound_rwx_lines;
  CHECK(bound_rwx_lines == 6);  // three PVs and three claims
  for (const auto& pod : pods) {
    const json claim = env.get_claim("default", "www-" + pod);
    CHECK(str_at(claim, "/status/phase") == "Bound");
    const std::string dir = "default-www-" + pod + "-pvc-" + str_at(claim, "/metadata/uid");
    CHECK(mode_of(env.export_dir() / dir) == 0777);
    directories.push_back(dir);
  }
  std::sort(directories.begin(), directories.end());
  CHECK(entries(env.export_dir()) == directories);

  // The seed's clean-up: the StatefulSet, then its claims; the directories are archived.
  k.kubectl_ok("delete -n default -f " + manifest("deploy/examples/statefulset.yaml") +
               " --wait=false");
  k.kubectl_ok(
      "delete pvc -n default www-sample-statefulset-0 www-sample-statefulset-1 "
      "www-sample-statefulset-2 --wait=false");
  CHECK(wait_until([&] { return env.list_pvs().empty(); }, 90s));
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

TEST_CASE("WaitForFirstConsumer: provisioned only once the scheduler places a pod on a node") {
  E2eEnv env;
  env.create_class("late", json::object(), "Delete", "WaitForFirstConsumer");
  env.start_controller();
  env.create_claim("default", "late-claim", "late");
  // kube-controller-manager has seen the claim and says it waits for a consumer; no volume.
  CHECK(wait_until([&] { return env.has_event("default", "late-claim", "WaitForFirstConsumer"); }));
  CHECK(env.list_pvs().empty());
  CHECK(entries(env.export_dir()).empty());
  CHECK(str_at(env.get_claim("default", "late-claim"), "/status/phase") == "Pending");

  // A pod using it: the scheduler picks a node and writes it on the claim; then we provision,
  // the PV controller binds, the scheduler binds the pod, and KWOK's node runs it.
  env.create_pod("default", "consumer", "late-claim");
  const json claim = env.wait_bound("default", "late-claim", 60s);
  const std::string node =
      str_at(claim, "/metadata/annotations/volume.kubernetes.io~1selected-node");
  CHECK((node == "raspi002" || node == "raspi003"));
  CHECK(fs::is_directory(env.export_dir() /
                         ("default-late-claim-pvc-" + str_at(claim, "/metadata/uid"))));
  json pod;
  CHECK(wait_until(
      [&] {
        pod = env.get_pod("default", "consumer");
        return str_at(pod, "/status/phase") == "Running";
      },
      60s));
  CHECK(str_at(pod, "/spec/nodeName") == node);
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

TEST_CASE("liveness: idle workers are well, informers without progress for 10 minutes are not") {
  E2eEnv env;
  env.create_class("managed-nfs-storage", {{"archiveOnDelete", "true"}});
  env.start_controller();
  env.create_claim("default", "data", "managed-nfs-storage");
  env.wait_bound("default", "data");
  const auto now = std::chrono::steady_clock::now();
  CHECK(env.controller().stalls(now).empty());
  // Waiting for work, however long, is not a stall; the watches deliver bookmarks and end
  // within minutes, so ten minutes without any progress is. Judged at an instant: no sleep.
  std::vector<std::string> loops;
  for (const auto& stall : env.controller().stalls(now + std::chrono::minutes(11))) {
    loops.push_back(stall.loop);
    CHECK(stall.allowed == std::chrono::minutes(10));
    CHECK(stall.stalled_for > std::chrono::minutes(10));
  }
  std::sort(loops.begin(), loops.end());
  CHECK(loops == std::vector<std::string>{"informer persistentvolumeclaims",
                                          "informer persistentvolumes", "informer storageclasses"});
}
