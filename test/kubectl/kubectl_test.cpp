// The real kubectl against kube-test-apiserver: what a user typing these commands would see.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "test/apiserver/test_apiserver.h"

using nfsprov::testing::TestApiServer;
using nlohmann::json;

namespace {

constexpr const char* kClassAndClaim = R"(apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: managed-nfs-storage
provisioner: nfs-provisioner
parameters:
  archiveOnDelete: "true"
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: www-sample-statefulset-0
  labels:
    app: nginx
spec:
  accessModes: [ReadWriteMany]
  storageClassName: managed-nfs-storage
  resources:
    requests:
      storage: 1Gi
)";

std::string write(const TestApiServer& server, const std::string& name, const std::string& text) {
  auto path = server.dir() / name;
  std::ofstream(path) << text;
  return path.string();
}

json get_json(const TestApiServer& server, const std::string& what) {
  std::string out;
  REQUIRE(server.kubectl("get " + what + " -o json", &out) == 0);
  return json::parse(out);
}

void create_class_and_claim(const TestApiServer& server) {
  std::string out;
  int rc = server.kubectl("create -f " + write(server, "claim.yaml", kClassAndClaim), &out);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out.find("storageclass.storage.k8s.io/managed-nfs-storage created") != std::string::npos);
  CHECK(out.find("persistentvolumeclaim/www-sample-statefulset-0 created") != std::string::npos);
}

}  // namespace

TEST_CASE("kubectl create -f, get -o json and get table output") {
  TestApiServer server;
  create_class_and_claim(server);
  auto claim = get_json(server, "pvc www-sample-statefulset-0");
  CHECK(claim["metadata"]["labels"]["app"] == "nginx");
  CHECK(claim["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] ==
        "nfs-provisioner");
  CHECK(claim["spec"]["resources"]["requests"]["storage"] == "1Gi");
  CHECK(claim["status"]["phase"] == "Pending");
  auto cls = get_json(server, "storageclass managed-nfs-storage");
  CHECK(cls["parameters"]["archiveOnDelete"] == "true");
  std::string table;
  REQUIRE(server.kubectl("get pvc", &table) == 0);
  CHECK(table.find("STATUS") != std::string::npos);
  CHECK(table.find("www-sample-statefulset-0   Pending") != std::string::npos);
  std::string again;
  CHECK(server.kubectl("create -f " + (server.dir() / "claim.yaml").string(), &again) != 0);
  CHECK(again.find("AlreadyExists") != std::string::npos);
}

TEST_CASE("kubectl get -w sees ADDED and MODIFIED events") {
  TestApiServer server;
  create_class_and_claim(server);
  std::string watched;
  std::thread watcher(
      [&] { server.kubectl("get pvc -w --output-watch-events --request-timeout=4s", &watched); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  REQUIRE(server.kubectl("patch pvc www-sample-statefulset-0 --type=merge -p "
                         "'{\"metadata\":{\"labels\":{\"seen\":\"yes\"}}}'") == 0);
  watcher.join();
  INFO(watched);
  CHECK(watched.find("ADDED      www-sample-statefulset-0") != std::string::npos);
  CHECK(watched.find("MODIFIED   www-sample-statefulset-0") != std::string::npos);
}

TEST_CASE("kubectl patch --type=merge and --type=json, apply -f") {
  TestApiServer server;
  create_class_and_claim(server);
  REQUIRE(server.kubectl("patch pvc www-sample-statefulset-0 --type=merge -p "
                         "'{\"metadata\":{\"labels\":{\"tier\":\"web\"}}}'") == 0);
  REQUIRE(server.kubectl("patch pvc www-sample-statefulset-0 --type=json -p "
                         "'[{\"op\":\"replace\",\"path\":\"/metadata/labels/app\",\"value\":"
                         "\"httpd\"}]'") == 0);
  auto labels = get_json(server, "pvc www-sample-statefulset-0")["metadata"]["labels"];
  CHECK(labels == json({{"app", "httpd"}, {"tier", "web"}}));

  std::string applied = R"(apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: applied
  labels: {stage: one}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: managed-nfs-storage
  resources: {requests: {storage: 2Gi}}
)";
  std::string out;
  REQUIRE(server.kubectl("apply -f " + write(server, "applied.yaml", applied), &out) == 0);
  CHECK(out.find("persistentvolumeclaim/applied created") != std::string::npos);
  std::string changed = applied;
  changed.replace(changed.find("stage: one"), 10, "stage: two");
  REQUIRE(server.kubectl("apply -f " + write(server, "applied.yaml", changed), &out) == 0);
  INFO(out);
  CHECK(out.find("persistentvolumeclaim/applied configured") != std::string::npos);
  auto obj = get_json(server, "pvc applied");
  CHECK(obj["metadata"]["labels"]["stage"] == "two");
  CHECK(
      obj["metadata"]["annotations"].contains("kubectl.kubernetes.io/last-applied-configuration"));
}

TEST_CASE("kubectl delete, and with a finalizer: Terminating until the finalizer goes") {
  TestApiServer server;
  create_class_and_claim(server);
  REQUIRE(server.kubectl("patch pvc www-sample-statefulset-0 --type=merge -p "
                         "'{\"metadata\":{\"finalizers\":[\"example.com/hold\"]}}'") == 0);
  REQUIRE(server.kubectl("delete pvc www-sample-statefulset-0 --wait=false") == 0);
  auto held = get_json(server, "pvc www-sample-statefulset-0");
  CHECK(held["metadata"].contains("deletionTimestamp"));
  REQUIRE(server.kubectl("patch pvc www-sample-statefulset-0 --type=json -p "
                         "'[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]'") == 0);
  std::string out;
  CHECK(server.kubectl("get pvc www-sample-statefulset-0", &out) != 0);
  CHECK(out.find("NotFound") != std::string::npos);
  REQUIRE(server.kubectl("delete storageclass managed-nfs-storage", &out) == 0);
  CHECK(out.find("deleted") != std::string::npos);
}

TEST_CASE("a PV pre-bound to the claim: kubectl get pv,pvc shows both Bound") {
  TestApiServer server;
  create_class_and_claim(server);
  std::string uid = get_json(server, "pvc www-sample-statefulset-0")["metadata"]["uid"];
  std::string pv = R"(apiVersion: v1
kind: PersistentVolume
metadata:
  name: pvc-)" + uid +
                   R"(
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: managed-nfs-storage
  nfs: {server: 127.0.0.1, path: /export/default-www}
  claimRef: {kind: PersistentVolumeClaim, apiVersion: v1, namespace: default,
             name: www-sample-statefulset-0, uid: )" +
                   uid + R"(}
)";
  REQUIRE(server.kubectl("create -f " + write(server, "pv.yaml", pv)) == 0);
  std::string out;
  REQUIRE(server.kubectl("get pv,pvc", &out) == 0);
  INFO(out);
  CHECK(out.find("Bound    default/www-sample-statefulset-0") != std::string::npos);
  CHECK(out.find("www-sample-statefulset-0   Bound    pvc-" + uid) != std::string::npos);
}
