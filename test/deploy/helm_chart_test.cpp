// The Helm chart judged by the real Helm (v4.1.4, scripts/get-helm), no cluster needed: lint,
// the schema refusing typos, nfs-subdir's values accepted, and `helm template` rendering the
// objects `kubectl kustomize deploy/` renders for the same settings.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "test/deploy/helm_chart.h"
#include "test/deploy/manifests.h"
#include "test/deploy/yaml_json.h"
#include "test/support/temp_dir.h"

using namespace nfsprov::deploytest;
using nfsprov::testing::TempDir;

namespace {

// nfs-subdir's README: helm install ... --set nfs.server=x.x.x.x --set nfs.path=/exported/path
const std::string kReadmeValues = "--set nfs.server=x.x.x.x --set nfs.path=/exported/path";

std::string values_file(const std::string& name) {
  return "-f " + shell_quote(helm_test_file(name).string());
}

std::set<std::string> kinds_and_names(const std::vector<YAML::Node>& docs) {
  std::set<std::string> s;
  for (const auto& d : docs)
    s.insert(d["kind"].as<std::string>() + "/" + d["metadata"]["name"].as<std::string>());
  return s;
}

YAML::Node pod_spec(const std::vector<YAML::Node>& docs) {
  return only(docs, "Deployment")["spec"]["template"]["spec"];
}

std::map<std::string, nlohmann::json> env_by_name(const YAML::Node& container) {
  std::map<std::string, nlohmann::json> env;
  for (const auto& e : container["env"]) env[e["name"].as<std::string>()] = to_json(e);
  return env;
}

// Every label of `subset` is on `labels` with the same value.
bool has_labels(const YAML::Node& labels, const YAML::Node& subset) {
  for (const auto& l : subset)
    if (labels[l.first.as<std::string>()].as<std::string>("") != l.second.as<std::string>())
      return false;
  return true;
}

}  // namespace

TEST_CASE("helm lint --strict passes on the chart") {
  const TempDir s("np-helm-chart");
  Helm helm(s.path() / "helm");
  std::string out;
  const int rc =
      helm.run("lint --strict " + shell_quote(chart_dir().string()) + " " + kReadmeValues, &out);
  INFO(out);
  CHECK(rc == 0);
  CHECK_THAT(out, Catch::Contains("1 chart(s) linted, 0 chart(s) failed"));
  CHECK_THAT(out, !Catch::Contains("[WARNING]"));
  CHECK_THAT(out, !Catch::Contains("[ERROR]"));
}

TEST_CASE("a typo in a value is an error at template and install, not a broken pod") {
  const TempDir s("np-helm-chart");
  Helm helm(s.path() / "helm");
  const std::string chart = shell_quote(chart_dir().string());
  // Each wrong value and what helm must say about it.
  const std::vector<std::pair<std::string, std::string>> wrong = {
      {"--set nfs.sever=x", "additional properties 'sever' not allowed"},
      {"--set storageClass.archiveOnDelet=false", "additional properties 'archiveOnDelet'"},
      {"--set storageClass.reclaimPolicy=Delet", "/storageClass/reclaimPolicy"},
      {"--set storageClass.onDelete=remove", "/storageClass/onDelete"},
      {"--set nfs.path=exported/path", "/nfs/path"},
      {"--set replicaCont=2", "additional properties 'replicaCont' not allowed"},
      {"--set storageClass.mountPermissions=rwx", "/storageClass/mountPermissions"},
  };
  for (const auto& [set, message] : wrong) {
    for (const std::string verb : {"template nfs-provisioner", "install nfs-provisioner"}) {
      std::string out;
      const int rc = helm.run(verb + " " + chart + " " + kReadmeValues + " " + set +
                                  (verb.starts_with("install") ? " --dry-run=client" : ""),
                              &out);
      INFO(verb << " " << set << ":\n" << out);
      CHECK(rc != 0);
      CHECK_THAT(out, Catch::Contains("values don't meet the specifications of the schema"));
      CHECK_THAT(out, Catch::Contains(message));
    }
  }
  // Without a server there is no provisioner to run: said at install, as the binary would.
  std::string out;
  CHECK(helm.run("template nfs-provisioner " + chart, &out) != 0);
  CHECK_THAT(out, Catch::Contains("nfs.server is required"));
}

TEST_CASE("a values file written for nfs-subdir's chart is accepted and means the same") {
  const TempDir s("np-helm-chart");
  Helm helm(s.path() / "helm");
  auto docs = helm.render("nfs-subdir-external-provisioner", "default",
                          values_file("nfs-subdir-values.yaml") + " " + kReadmeValues);
  // nfs-subdir's class, as its chart makes it from these values.
  auto sc = only(docs, "StorageClass", "nfs-client");
  CHECK(sc["allowVolumeExpansion"].as<std::string>() == "true");
  CHECK(sc["reclaimPolicy"].as<std::string>() == "Delete");
  CHECK(sc["volumeBindingMode"].as<std::string>() == "Immediate");
  CHECK(sc["parameters"]["archiveOnDelete"].as<std::string>() == "true");
  CHECK(sc["parameters"].size() == 1);
  CHECK_FALSE(sc["mountOptions"]);
  CHECK_FALSE(sc["metadata"]["annotations"]);
  auto c = pod_spec(docs)["containers"][0];
  CHECK(env_value(c, "NFS_SERVER") == "x.x.x.x");
  CHECK(env_value(c, "NFS_PATH") == "/exported/path");
  CHECK(env_value(c, "PROVISIONER_NAME") == sc["provisioner"].as<std::string>());
  CHECK(env_value(c, "ENABLE_LEADER_ELECTION") == "true");
  // nfs-subdir's `{}` for podSecurityContext, securityContext and resources keeps deploy/'s.
  auto kustomized = pod_spec(render(deploy_dir()));
  CHECK(to_json(pod_spec(docs)["securityContext"]) == to_json(kustomized["securityContext"]));
  CHECK(to_json(c["securityContext"]) == to_json(kustomized["containers"][0]["securityContext"]));
  CHECK(to_json(c["resources"]) == to_json(kustomized["containers"][0]["resources"]));
  // No PodSecurityPolicy (gone from Kubernetes), no static PV or claim for the export.
  for (const auto& kind : {"PodSecurityPolicy", "PersistentVolume", "PersistentVolumeClaim"})
    for (const auto& d : docs) CHECK(d["kind"].as<std::string>() != kind);

  // nfs-subdir's own image would run its binary without the NFS mount it needs: refused.
  std::string out;
  CHECK(helm.run("template x " + shell_quote(chart_dir().string()) + " " + kReadmeValues +
                     " --set image.repository=registry.k8s.io/sig-storage/"
                     "nfs-subdir-external-provisioner --set image.tag=v4.0.2",
                 &out) != 0);
  CHECK_THAT(out, Catch::Contains("drop image.* from your values"));
}

TEST_CASE("helm template renders what kubectl kustomize renders for the same settings") {
  const TempDir s("np-helm-chart");
  Helm helm(s.path() / "helm");
  // deploy/ patched the way a kustomize user sets the same server, export and mount options.
  const auto overlay = s.path() / "overlay";
  std::filesystem::create_directories(overlay);
  std::ofstream(overlay / "kustomization.yaml")
      << "resources:\n  - " << std::filesystem::relative(deploy_dir(), overlay).string() << "\n"
      << R"(patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: nfs-provisioner, namespace: nfs-provisioner}
      spec:
        template:
          spec:
            containers:
              - name: nfs-provisioner
                env:
                  - {name: NFS_SERVER, value: x.x.x.x}
                  - {name: NFS_PATH, value: /exported/path}
  - patch: |
      apiVersion: storage.k8s.io/v1
      kind: StorageClass
      metadata: {name: managed-nfs-storage}
      mountOptions: [nfsvers=4.1]
)";
  const auto kustomized = render(overlay);
  // Release nfs-provisioner in namespace nfs-provisioner: the names deploy/ uses.
  const auto helmed = helm.render("nfs-provisioner", "nfs-provisioner",
                                  kReadmeValues + " " + values_file("as-deploy.yaml"));

  // Intended differences: helm makes no Namespace (helm install --create-namespace does), and
  // adds the metrics Service (metrics.service.enabled) deploy/ leaves to the pod annotations.
  auto expected = kinds_and_names(kustomized);
  expected.erase("Namespace/nfs-provisioner");
  expected.insert("Service/nfs-provisioner-metrics");
  CHECK(kinds_and_names(helmed) == expected);

  for (const auto& k : kustomized) {
    const auto kind = k["kind"].as<std::string>();
    const auto name = k["metadata"]["name"].as<std::string>();
    if (kind == "Namespace") continue;
    const auto h = only(helmed, kind, name);
    INFO(kind << "/" << name << "\nkustomize: " << to_json(k).dump()
              << "\nhelm: " << to_json(h).dump());
    CHECK(h["apiVersion"].as<std::string>() == k["apiVersion"].as<std::string>());
    CHECK(h["metadata"]["namespace"].as<std::string>("") ==
          k["metadata"]["namespace"].as<std::string>(""));
    // Helm's standard labels (helm.sh/chart, app.kubernetes.io/instance ...) come on top.
    CHECK(has_labels(h["metadata"]["labels"], k["metadata"]["labels"]));
    CHECK(to_json(h["rules"]) == to_json(k["rules"]));
    CHECK(to_json(h["subjects"]) == to_json(k["subjects"]));
    CHECK(to_json(h["roleRef"]) == to_json(k["roleRef"]));
  }

  const auto kd = only(kustomized, "Deployment");
  const auto hd = only(helmed, "Deployment");
  CHECK(to_json(hd["spec"]["replicas"]) == to_json(kd["spec"]["replicas"]));
  CHECK(to_json(hd["spec"]["strategy"]) == to_json(kd["spec"]["strategy"]));
  // The selector gains app.kubernetes.io/instance, so two releases do not share pods.
  CHECK(has_labels(hd["spec"]["selector"]["matchLabels"], kd["spec"]["selector"]["matchLabels"]));
  CHECK(has_labels(hd["spec"]["template"]["metadata"]["labels"],
                   kd["spec"]["template"]["metadata"]["labels"]));
  CHECK(to_json(hd["spec"]["template"]["metadata"]["annotations"]) ==
        to_json(kd["spec"]["template"]["metadata"]["annotations"]));
  // The pod spec whole: service account, security, image, args, ports, probes, resources.
  auto kpod = to_json(kd["spec"]["template"]["spec"]);
  auto hpod = to_json(hd["spec"]["template"]["spec"]);
  // kustomize's patch moves the entries it sets to the front of env: compared by name.
  CHECK(env_by_name(hd["spec"]["template"]["spec"]["containers"][0]) ==
        env_by_name(kd["spec"]["template"]["spec"]["containers"][0]));
  CHECK(env_value(hd["spec"]["template"]["spec"]["containers"][0], "NFS_SERVER") == "x.x.x.x");
  for (auto* pod : {&kpod, &hpod}) (*pod)["containers"][0].erase("env");
  INFO("kustomize pod: " << kpod.dump() << "\nhelm pod: " << hpod.dump());
  CHECK(hpod == kpod);

  const auto ksc = only(kustomized, "StorageClass");
  const auto hsc = only(helmed, "StorageClass");
  for (const auto& field :
       {"provisioner", "parameters", "reclaimPolicy", "volumeBindingMode", "mountOptions"}) {
    INFO(field);
    CHECK(to_json(hsc[field]) == to_json(ksc[field]));
  }
  // Not set in deploy/ means false; the chart says it (nfs-subdir's chart says true).
  CHECK(ksc["allowVolumeExpansion"].as<std::string>("false") ==
        hsc["allowVolumeExpansion"].as<std::string>());
  CHECK(only(helmed, "ServiceAccount")["metadata"]["name"].as<std::string>() ==
        hd["spec"]["template"]["spec"]["serviceAccountName"].as<std::string>());
}

TEST_CASE("the chart's version and default image are deploy/'s and the project's") {
  auto chart = YAML::LoadFile((chart_dir() / "Chart.yaml").string());
  CHECK(chart["apiVersion"].as<std::string>() == "v2");
  CHECK(chart["version"].as<std::string>() == NP_VERSION);
  CHECK(chart["appVersion"].as<std::string>() == NP_VERSION);
  const TempDir s("np-helm-chart");
  Helm helm(s.path() / "helm");
  auto image = pod_spec(helm.render("nfs-provisioner", "nfs-provisioner",
                                    kReadmeValues))["containers"][0]["image"]
                   .as<std::string>();
  CHECK(image == pod_spec(render(deploy_dir()))["containers"][0]["image"].as<std::string>());
}

TEST_CASE("our values: extra classes, NFS identity, metrics, probes, disruption budget") {
  const TempDir s("np-helm-chart");
  Helm helm(s.path() / "helm");
  auto docs = helm.render("nfs", "storage", kReadmeValues + " " + values_file("ours.yaml"));

  // The main class and one per extra server, all served by the one provisioner.
  auto main = only(docs, "StorageClass", "nfs-client");
  CHECK(main["parameters"]["mountPermissions"].as<std::string>() == "0775");
  CHECK(main["parameters"]["onDelete"].as<std::string>() == "retain");
  CHECK(main["parameters"]["maxPathDepth"].as<std::string>() == "4");
  CHECK_FALSE(main["parameters"]["server"]);
  auto nas2 = only(docs, "StorageClass", "nas2");
  CHECK(nas2["provisioner"].as<std::string>() == main["provisioner"].as<std::string>());
  CHECK(nas2["parameters"]["server"].as<std::string>() == "192.168.3.36");
  CHECK(nas2["parameters"]["share"].as<std::string>() == "/srv/nfs");
  CHECK(nas2["parameters"]["nfsPort"].as<std::string>() == "2049");
  // Inherited from the main class unless the entry says otherwise.
  CHECK(nas2["parameters"]["mountPermissions"].as<std::string>() == "0775");
  CHECK(nas2["parameters"]["onDelete"].as<std::string>() == "delete");
  CHECK(nas2["reclaimPolicy"].as<std::string>() == "Retain");
  CHECK(to_json(nas2["mountOptions"]) == nlohmann::json::array({"nfsvers=4.1"}));
  auto nas3 = only(docs, "StorageClass", "nas3");
  CHECK(nas3["parameters"]["share"].as<std::string>() == "/export");
  CHECK(nas3["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"]
            .as<std::string>() == "true");
  CHECK(nas3["reclaimPolicy"].as<std::string>() == "Delete");

  auto c = pod_spec(docs)["containers"][0];
  std::vector<std::string> args;
  for (const auto& a : c["args"]) args.push_back(a.as<std::string>());
  CHECK(args == std::vector<std::string>{"--metrics-address=:9090", "--nfs-uid=1000",
                                         "--nfs-gid=1000", "--workers=8"});
  CHECK(c["ports"][0]["containerPort"].as<int>() == 9090);
  CHECK(c["livenessProbe"]["httpGet"]["path"].as<std::string>() == "/healthz");
  CHECK(c["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/readyz");
  CHECK(c["readinessProbe"]["httpGet"]["port"].as<std::string>() ==
        c["ports"][0]["name"].as<std::string>());
  CHECK(
      only(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"]
          .as<std::string>() == "9090");

  auto service = only(docs, "Service");
  CHECK(service["spec"]["ports"][0]["targetPort"].as<std::string>() == "metrics");
  CHECK(service["spec"]["ports"][0]["port"].as<int>() == 9090);
  CHECK(has_labels(only(docs, "Deployment")["spec"]["template"]["metadata"]["labels"],
                   service["spec"]["selector"]));
  auto monitor = only(docs, "ServiceMonitor");
  CHECK(monitor["apiVersion"].as<std::string>() == "monitoring.coreos.com/v1");
  CHECK(has_labels(service["metadata"]["labels"], monitor["spec"]["selector"]["matchLabels"]));
  CHECK(monitor["spec"]["endpoints"][0]["port"].as<std::string>() == "metrics");
  auto pdb = only(docs, "PodDisruptionBudget");
  CHECK(pdb["spec"]["maxUnavailable"].as<int>() == 1);
  CHECK(has_labels(only(docs, "Deployment")["spec"]["template"]["metadata"]["labels"],
                   pdb["spec"]["selector"]["matchLabels"]));

  // Off by default: no ServiceMonitor (the CRD may not exist), no disruption budget.
  auto plain = helm.render("nfs", "storage", kReadmeValues);
  for (const auto& d : plain) {
    CHECK(d["kind"].as<std::string>() != "ServiceMonitor");
    CHECK(d["kind"].as<std::string>() != "PodDisruptionBudget");
  }
}

TEST_CASE("without leader election or RBAC the chart grants nothing it does not need") {
  const TempDir s("np-helm-chart");
  Helm helm(s.path() / "helm");
  auto no_election = helm.render("nfs-provisioner", "nfs-provisioner",
                                 kReadmeValues + " --set leaderElection.enabled=false");
  CHECK(env_value(pod_spec(no_election)["containers"][0], "ENABLE_LEADER_ELECTION") == "false");
  auto kinds = kinds_and_names(no_election);
  CHECK(kinds.count("ClusterRole/nfs-provisioner-runner") == 1);
  CHECK(kinds.count("Role/leader-locking-nfs-provisioner") == 0);
  CHECK(kinds.count("RoleBinding/leader-locking-nfs-provisioner") == 0);

  auto bring_your_own =
      helm.render("nfs-provisioner", "nfs-provisioner",
                  kReadmeValues +
                      " --set rbac.create=false --set serviceAccount.create=false "
                      "--set serviceAccount.name=storage-admin");
  for (const auto& d : bring_your_own) {
    CHECK(d["apiVersion"].as<std::string>() != "rbac.authorization.k8s.io/v1");
    CHECK(d["kind"].as<std::string>() != "ServiceAccount");
  }
  CHECK(pod_spec(bring_your_own)["serviceAccountName"].as<std::string>() == "storage-admin");
}

TEST_CASE("podSecurityPolicy.enabled is accepted, ignored, and NOTES says so") {
  const TempDir s("np-helm-chart");
  Helm helm(s.path() / "helm");
  std::string out;
  const int rc =
      helm.run("install nfs-provisioner " + shell_quote(chart_dir().string()) + " " +
                   kReadmeValues + " --set podSecurityPolicy.enabled=true " + "--dry-run=client",
               &out);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK_THAT(out, Catch::Contains("WARNING: podSecurityPolicy.enabled is ignored"));
  CHECK_THAT(out, !Catch::Contains("kind: PodSecurityPolicy"));
  // NOTES also tells what uninstall leaves: the PVs.
  CHECK_THAT(out, Catch::Contains("no PV, claim or directory"));
}
