// The chart's whole life on a real control plane, with the real Helm 4 (server-side apply,
// releases in Secrets) and the real provisioner: install into a namespace that enforces the
// restricted Pod Security Standard, provision the seed's StatefulSet's three claims with the
// Deployment and ServiceAccount helm made, upgrade a value (the Deployment rolls), uninstall
// (nothing of the release is left, the PVs stay). One cluster for the whole story: each
// step starts from what the one before left, as on a user's cluster.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test/deploy/helm_chart.h"
#include "test/deploy/manifests.h"
#include "test/deploy/provision_cycle.h"
#include "test/nfs_server/ganesha_server.h"
#include "test/support/temp_dir.h"

using namespace nfsprov::deploytest;
using nfsprov::testing::GaneshaServer;
using nfsprov::testing::KubeCluster;
using nfsprov::testing::TempDir;

namespace {

const std::string kRelease = "nfs-provisioner";
const std::string kNamespace = "nfs-provisioner";
const std::string kApps = "apps";

// Prometheus Operator's CRD, reduced to its name and version, so that the chart's
// ServiceMonitor is installed and uninstalled like every other kind it makes.
const char* kServiceMonitorCrd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors,
          singular: servicemonitor}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
)";

// Every kind the chart makes (with its options on), and what its objects make in turn.
const std::string kChartKinds =
    "serviceaccounts,clusterroles,clusterrolebindings,roles,rolebindings,deployments,"
    "replicasets,pods,services,storageclasses,poddisruptionbudgets,servicemonitors";

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> w;
  std::istringstream in(text);
  for (std::string s; in >> s;) w.push_back(s);
  return w;
}

// The Deployment as the API server holds it (what a kubelet would run).
std::vector<YAML::Node> deployment_in_cluster(const KubeCluster& cluster) {
  return {YAML::Load(
      cluster.kubectl_ok("get deployment " + kRelease + " -n " + kNamespace + " -o yaml"))};
}

std::string deployment_field(const KubeCluster& cluster, const std::string& jsonpath) {
  return kubectl_get(cluster,
                     "deployment " + kRelease + " -n " + kNamespace + " -o jsonpath=" + jsonpath);
}

// Requests of the ServiceAccount that kube-apiserver refused (403), from its audit log.
std::vector<std::string> forbidden_requests(const KubeCluster& cluster) {
  const std::string user = "system:serviceaccount:" + kNamespace + ":" + kRelease;
  std::vector<std::string> refused;
  std::ifstream log(cluster.audit_log());
  for (std::string line; std::getline(log, line);) {
    auto e = nlohmann::json::parse(line);
    if (e["user"].value("username", "") == user && e["responseStatus"].value("code", 0) == 403)
      refused.push_back(e.value("verb", "") + " " + e.value("requestURI", ""));
  }
  return refused;
}

}  // namespace

TEST_CASE("helm install, upgrade and uninstall the chart on a real cluster") {
  const TempDir scratch("np-helm-install");
  const auto& work = scratch.path();

  GaneshaServer nfs;
  KubeCluster cluster;
  Helm helm(work / "helm", cluster.admin_kubeconfig());
  const auto chart = shell_quote(chart_dir().string());
  const auto address = nfs.address();

  cluster.kubectl_ok("apply -f -", kServiceMonitorCrd);
  cluster.kubectl_ok(
      "wait --for=condition=Established --timeout=30s "
      "crd/servicemonitors.monitoring.coreos.com");
  // The pod must pass the restricted Pod Security Standard: admission refuses it otherwise.
  cluster.kubectl_ok("create namespace " + kNamespace);
  cluster.kubectl_ok("label namespace " + kNamespace +
                     " pod-security.kubernetes.io/enforce=restricted");

  // --- install: what nfs-subdir's README says, plus our options that make more kinds.
  const std::string values = " --set nfs.server=" + address.server +
                             " --set nfs.path=" + address.export_path +
                             " --set storageClass.name=managed-nfs-storage"
                             " --set podDisruptionBudget.enabled=true"
                             " --set metrics.serviceMonitor.enabled=true";
  std::string out;
  int rc = helm.run(
      "install " + kRelease + " " + chart + " -n " + kNamespace + values + " --wait --timeout 90s",
      &out);
  INFO("helm install:\n" << out);
  REQUIRE(rc == 0);
  CHECK_THAT(out, Catch::Contains("STATUS: deployed"));
  // Helm 4 keeps the release in a Secret and applies server-side.
  CHECK(kubectl_get(cluster, "secret -n " + kNamespace + " -l owner=helm,name=" + kRelease +
                                 " -o jsonpath={.items[*].metadata.name}") ==
        "sh.helm.release.v1." + kRelease + ".v1");
  CHECK_THAT(kubectl_get(cluster, "deployment " + kRelease + " -n " + kNamespace +
                                      " --show-managed-fields -o "
                                      "jsonpath={.metadata.managedFields[*].operation}"),
             Catch::Contains("Apply"));
  // The restricted namespace admitted the pod (KWOK runs it: a node without a kubelet).
  CHECK(eventually(
      [&] {
        return !kubectl_get(cluster, "pods -n " + kNamespace +
                                         " -l app.kubernetes.io/instance=" + kRelease + " -o name")
                    .empty();
      },
      std::chrono::seconds(30)));
  CHECK(kubectl_get(cluster, "storageclass managed-nfs-storage -o jsonpath={.provisioner}") ==
        "k8s-sigs.io/nfs-subdir-external-provisioner");

  // --- the provisioner helm's Deployment describes, as its ServiceAccount.
  auto install = deployment_in_cluster(cluster);
  auto container = install[0]["spec"]["template"]["spec"]["containers"][0];
  REQUIRE(env_value(container, "NFS_SERVER") == address.server);
  REQUIRE(env_value(container, "NFS_PATH") == address.export_path);
  const auto kubeconfig = service_account_kubeconfig(cluster, install);
  auto provisioner = start_provisioner({NP_PROVISIONER_BINARY}, install, kubeconfig, address,
                                       work / "provisioner.log");

  cluster.kubectl_ok("create namespace " + kApps);
  cluster.kubectl_ok("apply -n " + kApps + " -f " +
                     (deploy_dir() / "examples" / "statefulset.yaml").string());
  std::vector<std::string> claims, pvs;
  for (int i = 0; i < 3; ++i) claims.push_back("www-sample-statefulset-" + std::to_string(i));
  const bool all_bound = eventually(
      [&] {
        for (const auto& c : claims)
          if (kubectl_get(cluster, "pvc " + c + " -n " + kApps + " -o jsonpath={.status.phase}") !=
              "Bound")
            return false;
        return true;
      },
      std::chrono::seconds(90));
  INFO("provisioner log:\n" << provisioner->log_text());
  REQUIRE(all_bound);
  for (const auto& c : claims) {
    pvs.push_back(
        kubectl_get(cluster, "pvc " + c + " -n " + kApps + " -o jsonpath={.spec.volumeName}"));
    CHECK(std::filesystem::is_directory(nfs.export_dir() / (kApps + "-" + c + "-" + pvs.back())));
  }
  CHECK(forbidden_requests(cluster).empty());
  // Recreate: the old pod is gone before the new one starts.
  CHECK(provisioner->stop(std::chrono::seconds(10)) == 0);

  // --- upgrade. A class cannot change its parameters: the API server refuses, as NOTES says.
  const auto generation = std::stoll(deployment_field(cluster, "{.metadata.generation}"));
  rc = helm.run("upgrade " + kRelease + " " + chart + " -n " + kNamespace + values +
                    " --set storageClass.archiveOnDelete=false",
                &out);
  CHECK(rc != 0);
  CHECK_THAT(out, Catch::Contains("field is immutable"));
  CHECK(kubectl_get(cluster,
                    "storageclass managed-nfs-storage -o "
                    "jsonpath={.parameters.archiveOnDelete}") == "true");
  // One value that reaches the pod template: the Deployment rolls.
  rc = helm.run("upgrade " + kRelease + " " + chart + " -n " + kNamespace + values +
                    " --set leaderElection.enabled=false --wait --timeout 90s",
                &out);
  INFO("helm upgrade:\n" << out);
  REQUIRE(rc == 0);
  CHECK(std::stoll(deployment_field(cluster, "{.metadata.generation}")) > generation);
  CHECK(eventually(
      [&] {
        return deployment_field(cluster, "{.status.observedGeneration}") ==
                   deployment_field(cluster, "{.metadata.generation}") &&
               deployment_field(cluster, "{.status.updatedReplicas}") == "1";
      },
      std::chrono::seconds(60)));
  // A new ReplicaSet runs the new template; the old one is scaled to zero.
  std::set<std::string> templates;
  for (const auto& line : words(kubectl_get(
           cluster, "replicasets -n " + kNamespace + " -l app.kubernetes.io/instance=" + kRelease +
                        " -o " +
                        shell_quote("jsonpath={range .items[*]}{.spec.replicas}:{.spec.template."
                                    "spec.containers[0].env[?(@.name==\"ENABLE_LEADER_ELECTION\")]"
                                    ".value}{\"\\n\"}{end}"))))
    templates.insert(line);
  CHECK(templates == std::set<std::string>{"0:true", "1:false"});
  // Without leader election the Lease permission goes with it.
  CHECK(kubectl_get(cluster, "roles,rolebindings -n " + kNamespace + " -o name").empty());
  install = deployment_in_cluster(cluster);
  CHECK(env_value(install[0]["spec"]["template"]["spec"]["containers"][0],
                  "ENABLE_LEADER_ELECTION") == "false");
  provisioner = start_provisioner({NP_PROVISIONER_BINARY}, install, kubeconfig, address,
                                  work / "provisioner-upgraded.log");
  const auto test_pv = provision_test_claim(cluster, kApps, std::chrono::seconds(60));
  INFO("upgraded provisioner log:\n" << provisioner->log_text());
  REQUIRE(!test_pv.empty());
  pvs.push_back(test_pv);
  CHECK(forbidden_requests(cluster).empty());
  CHECK(provisioner->stop(std::chrono::seconds(10)) == 0);

  // --- uninstall: no object of the release is left, the volumes are.
  rc = helm.run(
      "uninstall " + kRelease + " -n " + kNamespace + " --cascade foreground --wait --timeout 90s",
      &out);
  INFO("helm uninstall:\n" << out);
  REQUIRE(rc == 0);
  const std::string of_release = " -A -l app.kubernetes.io/instance=" + kRelease + " -o name";
  std::string left;
  const bool gone = eventually(
      [&] {
        left = kubectl_get(cluster, kChartKinds + of_release) +
               kubectl_get(cluster, "secrets -A -l owner=helm,name=" + kRelease + " -o name");
        return left.empty();
      },
      std::chrono::seconds(30));
  INFO("left behind: " << left);
  CHECK(gone);
  // By name too, in case a label was lost: the namespace holds only what Kubernetes puts in
  // every namespace, and the Lease the provisioner took (not an object of the chart).
  std::set<std::string> in_namespace;
  for (const auto& name :
       words(kubectl_get(cluster,
                         "all,serviceaccounts,roles,rolebindings,secrets,configmaps,"
                         "poddisruptionbudgets,servicemonitors,leases -n " +
                             kNamespace + " -o name")))
    in_namespace.insert(name);
  std::set<std::string> expected = {"serviceaccount/default", "configmap/kube-root-ca.crt"};
  for (const auto& name : in_namespace)
    if (name.starts_with("lease.coordination.k8s.io/")) expected.insert(name);
  CHECK(in_namespace == expected);
  for (const auto& cluster_scoped :
       {"storageclass/managed-nfs-storage", "clusterrole/nfs-provisioner-runner",
        "clusterrolebinding/run-nfs-provisioner"})
    CHECK(kubectl_get(cluster, std::string(cluster_scoped) + " -o name").empty());
  for (const auto& pv : pvs) {
    INFO(pv);
    CHECK(kubectl_get(cluster, "pv " + pv + " -o jsonpath={.status.phase}") == "Bound");
  }
  for (std::size_t i = 0; i < claims.size(); ++i)
    CHECK(
        std::filesystem::is_directory(nfs.export_dir() / (kApps + "-" + claims[i] + "-" + pvs[i])));
}
