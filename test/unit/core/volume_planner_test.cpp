#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "provisioner/core/volume_planner.h"

using namespace nfsprov::core;
using nlohmann::json;

namespace {

ProvisionerDefaults defaults() {
  ProvisionerDefaults d;
  d.provisioner_name = "k8s-sigs.io/nfs-subdir-external-provisioner";
  d.export_address.server = "10.0.0.5";
  d.export_address.export_path = "/srv/nfs";
  d.export_address.nfs_port = 2049;
  d.export_address.mount_port = 20048;
  d.export_address.timeout = std::chrono::milliseconds(3000);
  d.export_address.uid = 1000;
  return d;
}

json seed_claim() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "www-sample-statefulset-0", "namespace": "default",
                 "uid": "5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10", "resourceVersion": "4711",
                 "annotations": {}, "labels": {"app": "nginx"}},
    "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "managed-nfs-storage",
             "resources": {"requests": {"storage": "1Gi"}}, "volumeMode": "Filesystem"}
  })");
}

json seed_class() {
  return json::parse(R"({
    "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "managed-nfs-storage"},
    "provisioner": "k8s-sigs.io/nfs-subdir-external-provisioner",
    "parameters": {"archiveOnDelete": "false"}
  })");
}

VolumePlan planned(const json& claim, const json& storage_class) {
  auto outcome = VolumePlanner(defaults()).plan(claim, storage_class);
  if (const auto* refusal = std::get_if<Refusal>(&outcome)) {
    FAIL(refusal->reason + ": " + refusal->message);
  }
  return std::get<VolumePlan>(outcome);
}

Refusal refused(const json& claim, const json& storage_class) {
  auto outcome = VolumePlanner(defaults()).plan(claim, storage_class);
  if (std::holds_alternative<VolumePlan>(outcome)) FAIL("planned, expected a refusal");
  return std::get<Refusal>(outcome);
}

}  // namespace

TEST_CASE("volume plan: the seed claim gets nfs-subdir's directory and a complete PV", "[volume]") {
  VolumePlan plan = planned(seed_claim(), seed_class());
  CHECK(plan.pv_name == "pvc-5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10");
  CHECK(plan.directory ==
        "default-www-sample-statefulset-0-pvc-5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10");
  CHECK(plan.export_address == defaults().export_address);
  CHECK(plan.create_options.mode == 0777);
  // Nobody asked for an owner: no chown, so root_squash exports work.
  CHECK_FALSE(plan.create_options.uid.has_value());
  CHECK_FALSE(plan.create_options.gid.has_value());

  json expected = json::parse(R"({
    "apiVersion": "v1", "kind": "PersistentVolume",
    "metadata": {
      "name": "pvc-5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10",
      "annotations": {
        "pv.kubernetes.io/provisioned-by": "k8s-sigs.io/nfs-subdir-external-provisioner",
        "nfs-provisioner.io/share": "/srv/nfs",
        "nfs-provisioner.io/nfs-port": "2049",
        "nfs-provisioner.io/mount-port": "20048"},
      "finalizers": ["external-provisioner.volume.kubernetes.io/finalizer"]},
    "spec": {
      "capacity": {"storage": "1Gi"},
      "accessModes": ["ReadWriteMany"],
      "persistentVolumeReclaimPolicy": "Delete",
      "storageClassName": "managed-nfs-storage",
      "volumeMode": "Filesystem",
      "nfs": {"server": "10.0.0.5",
              "path": "/srv/nfs/default-www-sample-statefulset-0-pvc-5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10",
              "readOnly": false},
      "claimRef": {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": "default",
                   "name": "www-sample-statefulset-0",
                   "uid": "5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10", "resourceVersion": "4711"}}
  })");
  CHECK(plan.pv == expected);
}

TEST_CASE("volume plan: class reclaimPolicy, mountOptions and capacity string carry over",
          "[volume]") {
  json claim = seed_claim();
  claim["spec"]["resources"]["requests"]["storage"] = "1.5Gi";
  claim["spec"]["accessModes"] = {"ReadWriteOnce", "ReadOnlyMany"};
  json storage_class = seed_class();
  storage_class["reclaimPolicy"] = "Retain";
  storage_class["mountOptions"] = {"nfsvers=4.1", "hard"};
  VolumePlan plan = planned(claim, storage_class);
  CHECK(plan.pv["spec"]["capacity"]["storage"] == "1.5Gi");
  CHECK(plan.pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain");
  CHECK(plan.pv["spec"]["mountOptions"] == json({"nfsvers=4.1", "hard"}));
  CHECK(plan.pv["spec"]["accessModes"] == json({"ReadWriteOnce", "ReadOnlyMany"}));
  storage_class["mountOptions"] = json::array();
  CHECK_FALSE(planned(claim, storage_class).pv["spec"].contains("mountOptions"));
}

TEST_CASE("volume plan: pathPattern directories, nested, under a share of /", "[volume]") {
  json claim = seed_claim();
  claim["metadata"]["annotations"]["nfs.io/storage-path"] = "web/static";
  json storage_class = seed_class();
  storage_class["parameters"]["pathPattern"] =
      "${.PVC.namespace}/${.PVC.annotations.nfs.io/storage-path}";
  storage_class["parameters"]["share"] = "/";
  VolumePlan plan = planned(claim, storage_class);
  CHECK(plan.directory == "default/web/static");
  CHECK(plan.export_address.export_path == "/");
  CHECK(plan.pv["spec"]["nfs"]["path"] == "/default/web/static");
  CHECK(plan.pv["metadata"]["annotations"]["nfs-provisioner.io/share"] == "/");
}

TEST_CASE("volume plan: hostile pathPattern expansions are refused", "[volume]") {
  json storage_class = seed_class();
  storage_class["parameters"]["pathPattern"] = "${.PVC.labels.dir}";
  for (std::string bad :
       std::vector<std::string>{"../../etc", "/etc", "..", "a/../../b", std::string(300, 'x')}) {
    INFO(bad);
    json claim = seed_claim();
    claim["metadata"]["labels"]["dir"] = bad;
    CHECK(refused(claim, storage_class).reason == "InvalidPath");
  }
}

TEST_CASE("volume plan: class server, share and ports pick the export", "[volume]") {
  json storage_class = seed_class();
  storage_class["parameters"]["server"] = "nas.local";
  storage_class["parameters"]["share"] = "/volume1//k8s/";
  VolumePlan plan = planned(seed_claim(), storage_class);
  CHECK(plan.export_address.server == "nas.local");
  CHECK(plan.export_address.export_path == "/volume1/k8s");
  CHECK(plan.export_address.nfs_port == 0);  // another server: its portmapper
  CHECK(plan.export_address.mount_port == 0);
  CHECK(plan.export_address.timeout == std::chrono::milliseconds(3000));
  CHECK(plan.export_address.uid == 1000u);
  CHECK(plan.pv["spec"]["nfs"]["server"] == "nas.local");
  CHECK_FALSE(plan.pv["metadata"]["annotations"].contains("nfs-provisioner.io/nfs-port"));

  storage_class["parameters"]["nfsPort"] = "12049";
  storage_class["parameters"]["mountPort"] = "12048";
  plan = planned(seed_claim(), storage_class);
  CHECK(plan.export_address.nfs_port == 12049);
  CHECK(plan.export_address.mount_port == 12048);
  CHECK(plan.pv["metadata"]["annotations"]["nfs-provisioner.io/nfs-port"] == "12049");

  json same_server = seed_class();
  same_server["parameters"]["share"] = "/srv/other";
  plan = planned(seed_claim(), same_server);
  CHECK(plan.export_address.nfs_port == 2049);  // ports belong to the default server
  CHECK(plan.export_address.export_path == "/srv/other");

  for (auto [name, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"server", ""},
           {"server", "a b"},
           {"server", "host/x"},
           // Would become URL options.
           {"server", "h?uid=0&a="},
           {"server", "root@h"},
           {"server", "h#x"},
           {"server", "h%3F"},
           {"server", "h\n"},
           {"share", "/export?uid=4321&gid=4321&a="},
           {"share", "/export?version=4&a="},
           {"share", "/a#b"},
           {"share", "/a%3Fb"},
           {"share", "/a&b"},
           {"share", "/a\tb"},
           {"share", "/a\\b"},
           {"share", "relative"},
           {"share", "/a/../b"},
           {"nfsPort", "0"},
           {"nfsPort", "65536"},
           {"mountPort", "x"},
           {"mountPort", "-1"}}) {
    INFO(name << "=" << value);
    json bad = seed_class();
    bad["parameters"][name] = value;
    Refusal refusal = refused(seed_claim(), bad);
    CHECK(refusal.reason == "InvalidParameter");
    CHECK_THAT(refusal.message, Catch::Contains(name));
  }
}

TEST_CASE("volume plan: mode and owner from annotations beat class parameters", "[volume]") {
  json storage_class = seed_class();
  storage_class["parameters"]["mountPermissions"] = "0770";
  storage_class["parameters"]["uid"] = "1001";
  storage_class["parameters"]["gid"] = "1002";
  VolumePlan plan = planned(seed_claim(), storage_class);
  CHECK(plan.create_options.mode == 0770);
  CHECK(plan.create_options.uid == 1001u);
  CHECK(plan.create_options.gid == 1002u);

  json claim = seed_claim();
  claim["metadata"]["annotations"]["nfs.io/createMode"] = "750";
  claim["metadata"]["annotations"]["nfs.io/createUID"] = "2000";
  claim["metadata"]["annotations"]["nfs.io/createGID"] = "4294967294";
  plan = planned(claim, storage_class);
  CHECK(plan.create_options.mode == 0750);
  CHECK(plan.create_options.uid == 2000u);
  CHECK(plan.create_options.gid == 4294967294u);
}

TEST_CASE("volume plan: setuid, setgid and sticky bits only where the class allows them",
          "[volume]") {
  // The administrator's class may set them itself.
  json storage_class = seed_class();
  storage_class["parameters"]["mountPermissions"] = "02775";
  CHECK(planned(seed_claim(), storage_class).create_options.mode == 02775);

  // A tenant's claim may not, unless the class lets claims ask.
  for (const char* mode : {"4755", "2775", "1777", "7777", "06777"}) {
    INFO(mode);
    json claim = seed_claim();
    claim["metadata"]["annotations"]["nfs.io/createMode"] = mode;
    Refusal refusal = refused(claim, seed_class());
    CHECK(refusal.reason == "InvalidAnnotation");
    CHECK_THAT(refusal.message,
               Catch::Contains("nfs.io/createMode") && Catch::Contains("allowClaimSpecialModes"));
    json allowing = seed_class();
    allowing["parameters"]["allowClaimSpecialModes"] = "true";
    CHECK(planned(claim, allowing).create_options.mode == std::stoul(mode, nullptr, 8));
  }
  json claim = seed_claim();
  claim["metadata"]["annotations"]["nfs.io/createMode"] = "0750";
  json bad = seed_class();
  bad["parameters"]["allowClaimSpecialModes"] = "sometimes";
  CHECK(refused(claim, bad).reason == "InvalidParameter");
}

TEST_CASE("volume plan: invalid modes and ids are refused, not defaulted", "[volume]") {
  for (auto [key, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"nfs.io/createMode", "0888"},
           {"nfs.io/createMode", "rwx"},
           {"nfs.io/createMode", "17777"},
           {"nfs.io/createMode", ""},
           {"nfs.io/createUID", "-1"},
           {"nfs.io/createUID", "alice"},
           {"nfs.io/createUID", "4294967296"},
           // (uid_t)-1: chown's "leave unchanged", which would silently not apply.
           {"nfs.io/createUID", "4294967295"},
           {"nfs.io/createGID", "4294967295"},
           {"nfs.io/createGID", "1.5"}}) {
    INFO(key << "=" << value);
    json claim = seed_claim();
    claim["metadata"]["annotations"][key] = value;
    Refusal refusal = refused(claim, seed_class());
    CHECK(refusal.reason == "InvalidAnnotation");
    CHECK_THAT(refusal.message, Catch::Contains(key));
  }
  json storage_class = seed_class();
  storage_class["parameters"]["mountPermissions"] = "0x1ff";
  CHECK(refused(seed_claim(), storage_class).reason == "InvalidParameter");
}

TEST_CASE("volume plan: unsupported claims are refused with a reason", "[volume]") {
  json claim = seed_claim();
  claim["spec"]["selector"] = {{"matchLabels", {{"a", "b"}}}};
  CHECK(refused(claim, seed_class()) ==
        Refusal{"UnsupportedSelector", "claim Selector is not supported"});

  claim = seed_claim();
  claim["spec"]["selector"] = nullptr;  // explicit null is no selector
  CHECK(planned(claim, seed_class()).pv_name.starts_with("pvc-"));

  claim = seed_claim();
  claim["spec"]["volumeMode"] = "Block";
  CHECK(refused(claim, seed_class()).reason == "UnsupportedVolumeMode");

  claim = seed_claim();
  CHECK_FALSE(planned(claim, seed_class()).clone_of);
  claim["spec"]["dataSource"] = {{"kind", "PersistentVolumeClaim"}, {"name", "src"}};
  CHECK(planned(claim, seed_class()).clone_of == "src");  // a clone: see clone_source.h
  claim = seed_claim();
  claim["spec"]["dataSourceRef"] = {
      {"apiGroup", "snapshot.storage.k8s.io"}, {"kind", "VolumeSnapshot"}, {"name", "snap"}};
  CHECK(refused(claim, seed_class()) ==
        Refusal{"UnsupportedDataSource",
                "claim dataSource snapshot.storage.k8s.io/VolumeSnapshot \"snap\": only a "
                "PersistentVolumeClaim in the claim's own namespace can be cloned (snapshots "
                "and volume populators are not supported)"});

  for (json storage : {json(nullptr), json("lots"), json("-1Gi"), json("0"), json(5)}) {
    INFO(storage.dump());
    claim = seed_claim();
    claim["spec"]["resources"]["requests"]["storage"] = storage;
    CHECK(refused(claim, seed_class()).reason == "InvalidStorageRequest");
  }
  claim = seed_claim();
  claim["spec"].erase("resources");
  CHECK(refused(claim, seed_class()).reason == "InvalidStorageRequest");

  claim = seed_claim();
  claim["metadata"].erase("uid");
  CHECK(refused(claim, seed_class()).reason == "InvalidClaim");
}

TEST_CASE("volume plan: unknown class parameters are ignored, as nfs-subdir does", "[volume]") {
  json storage_class = seed_class();
  storage_class["parameters"]["fsType"] = "ext4";
  storage_class["parameters"]["whatever"] = "x";
  CHECK(planned(seed_claim(), storage_class).directory ==
        planned(seed_claim(), seed_class()).directory);
}

TEST_CASE("volume plan: a directory deeper than maxPathDepth (default 16) is refused", "[volume]") {
  json storage_class = seed_class();
  storage_class["parameters"]["pathPattern"] = "${.PVC.annotations.path}";
  const auto levels = [](int n) {
    std::string path = "l";
    for (int i = 1; i < n; ++i) path += "/l";
    return path;
  };
  json claim = seed_claim();
  claim["metadata"]["annotations"]["path"] = levels(16);
  CHECK(planned(claim, storage_class).directory == levels(16));
  claim["metadata"]["annotations"]["path"] = levels(17);
  Refusal refusal = refused(claim, storage_class);
  CHECK(refusal.reason == "InvalidPath");
  CHECK_THAT(refusal.message, Catch::Contains("17 levels") && Catch::Contains("maxPathDepth 16"));
  // The 1000-level annotation of the denial-of-service report: refused before any NFS call.
  claim["metadata"]["annotations"]["path"] = levels(1000);
  CHECK_THAT(refused(claim, storage_class).message, Catch::Contains("levels"));

  storage_class["parameters"]["maxPathDepth"] = "20";
  claim["metadata"]["annotations"]["path"] = levels(17);
  CHECK(planned(claim, storage_class).directory == levels(17));
  for (const char* bad : {"0", "65", "x", "-1", ""}) {
    INFO(bad);
    storage_class["parameters"]["maxPathDepth"] = bad;
    CHECK(refused(claim, storage_class).reason == "InvalidParameter");
  }
}
