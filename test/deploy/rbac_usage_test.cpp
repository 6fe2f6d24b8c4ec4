// deploy/rbac.yaml grants exactly what nfs-provisioner uses: the real binary runs as the
// ServiceAccount rbac.yaml binds, with leader election, a provision + expand + delete cycle against
// a real kube-apiserver (RBAC enforced, every request in its audit log) and nfs-ganesha. No request
// may be refused (a real 403), each must be allowed by the rendered RBAC objects, and each
// permission they grant must have been used.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "test/deploy/manifests.h"
#include "test/deploy/provision_cycle.h"
#include "test/deploy/rbac_rules.h"
#include "test/nfs_server/ganesha_server.h"
#include "test/support/temp_dir.h"

using namespace nfsprov::deploytest;
using nfsprov::testing::GaneshaServer;
using nfsprov::testing::KubeCluster;
using nfsprov::testing::TempDir;

namespace {

// Permissions rbac.yaml grants for paths a short cycle does not take. Each entry says why;
// the list is as short as it can be, since everything here escapes the "unused" check.
const std::set<std::string> kConditional = {
    "patch events",           // only when the same event repeats (its count is bumped)
    "get persistentvolumes",  // only when removing the finalizer meets a stale cache (409)
};

// Discovery paths every authenticated client may read (system:discovery,
// system:public-info-viewer): not part of rbac.yaml.
bool default_non_resource(const std::string& path) {
  return path == "/version" || path == "/api" || path == "/apis" || path.starts_with("/api/") ||
         path.starts_with("/apis/") || path == "/healthz" || path == "/readyz" || path == "/livez";
}

std::string lines(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += "  " + i + "\n";
  return s;
}

}  // namespace

TEST_CASE("rbac.yaml grants exactly the requests of a provision + expand + delete cycle") {
  const TempDir scratch("np-deploy-rbac");
  const auto& work = scratch.path();

  GaneshaServer nfs;
  KubeCluster cluster;

  auto install = install_without_deployment(cluster);
  const auto kubeconfig = service_account_kubeconfig(cluster, install);
  auto provisioner = start_provisioner({NP_PROVISIONER_BINARY}, install, kubeconfig, nfs.address(),
                                       work / "provisioner.log");
  auto pv = provision_test_claim(cluster, "deploy-test", std::chrono::seconds(60));
  INFO("provisioner log:\n" << provisioner->log_text());
  REQUIRE(!pv.empty());
  std::string directory = "deploy-test-test-claim-" + pv;
  CHECK(std::filesystem::is_directory(nfs.export_dir() / directory));

  // A claim of an expandable class grown by its user: the PV's and the claim's status patches.
  cluster.kubectl_ok(
      "apply -f -",
      R"(apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: expandable-nfs
provisioner: )" +
          env_value(only(install, "Deployment")["spec"]["template"]["spec"]["containers"][0],
                    "PROVISIONER_NAME") +
          R"(
allowVolumeExpansion: true
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: grown
  namespace: deploy-test
spec:
  storageClassName: expandable-nfs
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Mi}}
)");
  REQUIRE(eventually(
      [&] {
        return kubectl_get(cluster, "pvc grown -n deploy-test -o jsonpath={.status.phase}") ==
               "Bound";
      },
      std::chrono::seconds(60)));
  cluster.kubectl_ok(
      "patch pvc grown -n deploy-test --type merge -p "
      "'{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"2Mi\"}}}}'");
  CHECK(eventually(
      [&] {
        return kubectl_get(cluster,
                           "pvc grown -n deploy-test -o jsonpath={.status.capacity.storage}") ==
               "2Mi";
      },
      std::chrono::seconds(60)));

  std::string out;
  REQUIRE(cluster.kubectl("delete pvc grown -n deploy-test --wait=false", &out) == 0);
  REQUIRE(cluster.kubectl("delete pvc test-claim -n deploy-test --wait=false", &out) == 0);
  REQUIRE(eventually([&] { return kubectl_get(cluster, "pv " + pv + " -o name").empty(); },
                     std::chrono::seconds(60)));
  CHECK(std::filesystem::is_directory(nfs.export_dir() / ("archived-" + directory)));
  // Kubernetes stops a pod with SIGTERM: the provisioner must exit cleanly.
  CHECK(provisioner->stop(std::chrono::seconds(10)) == 0);

  // Every request the provisioner's ServiceAccount made, as kube-apiserver audited it.
  auto deployment = only(install, "Deployment");
  const std::string user =
      "system:serviceaccount:" + deployment["metadata"]["namespace"].as<std::string>() + ":" +
      deployment["spec"]["template"]["spec"]["serviceAccountName"].as<std::string>();
  std::vector<ApiRequest> requests;
  std::vector<std::string> denied, refused;
  std::ifstream log(cluster.audit_log());
  for (std::string line; std::getline(log, line);) {
    auto e = nlohmann::json::parse(line);
    if (e["user"].value("username", "") != user) continue;
    const auto code = e["responseStatus"].value("code", 0);
    const auto& ref = e.contains("objectRef") ? e["objectRef"] : nlohmann::json::object();
    ApiRequest r{e.value("verb", ""),        ref.value("apiGroup", ""),
                 ref.value("resource", ""),  ref.value("subresource", ""),
                 ref.value("namespace", ""), ref.value("name", "")};
    if (code == 403)
      refused.push_back(r.resource.empty() ? e.value("requestURI", "") : r.describe());
    if (r.resource.empty()) {
      const std::string uri = e.value("requestURI", "");
      const std::string path = uri.substr(0, uri.find('?'));
      if (!default_non_resource(path)) denied.push_back(path);
      continue;
    }
    requests.push_back(r);
  }
  REQUIRE(!requests.empty());
  // The real server's verdict first: nothing the provisioner asked for was forbidden.
  INFO("requests kube-apiserver refused (403):\n" << lines(refused));
  CHECK(refused.empty());

  auto grants = grants_for_service_account(
      install, deployment["metadata"]["namespace"].as<std::string>(),
      deployment["spec"]["template"]["spec"]["serviceAccountName"].as<std::string>());
  for (const auto& r : requests)
    if (!grants_allow(grants, r)) denied.push_back(r.describe());
  std::sort(denied.begin(), denied.end());
  denied.erase(std::unique(denied.begin(), denied.end()), denied.end());
  INFO("requests rbac.yaml does not allow:\n" << lines(denied));
  CHECK(denied.empty());

  std::vector<std::string> unused;
  for (const auto& u : unused_permissions(grants, requests))
    if (!kConditional.count(u.substr(0, u.find(" (")))) unused.push_back(u);
  INFO("permissions rbac.yaml grants that were never used:\n" << lines(unused));
  CHECK(unused.empty());
}
