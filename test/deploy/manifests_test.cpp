// deploy/ renders with kubectl's own kustomize, and what it installs is what the issue asks
// for: least privilege, a Raspberry-Pi-sized unprivileged pod, a class matching it.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "test/deploy/manifests.h"

using namespace nfsprov::deploytest;

namespace {

YAML::Node container_of(const YAML::Node& deployment) {
  auto containers = deployment["spec"]["template"]["spec"]["containers"];
  REQUIRE(containers.size() == 1);
  return containers[0];
}

}  // namespace

TEST_CASE("kubectl apply -k deploy/ installs the provisioner and nothing else") {
  auto docs = render(deploy_dir());
  std::multiset<std::string> kinds;
  for (const auto& d : docs) kinds.insert(d["kind"].as<std::string>());
  CHECK(kinds == std::multiset<std::string>{"Namespace", "ServiceAccount", "ClusterRole",
                                            "ClusterRoleBinding", "Role", "RoleBinding",
                                            "Deployment", "StorageClass"});
  // Everything namespaced lands in the one namespace the install creates, the binding's
  // subject included (kustomize rewrites it with the rest).
  auto ns = only(docs, "Namespace")["metadata"]["name"].as<std::string>();
  for (const auto& d : docs)
    if (d["metadata"]["namespace"]) CHECK(d["metadata"]["namespace"].as<std::string>() == ns);
  for (const auto& d : docs)
    for (const auto& s : d["subjects"]) CHECK(s["namespace"].as<std::string>() == ns);
}

TEST_CASE("the examples render: a claim, a pod using it, the sample StatefulSet") {
  auto docs = render(deploy_dir() / "examples");
  auto claim = only(docs, "PersistentVolumeClaim", "test-claim");
  CHECK(claim["spec"]["storageClassName"].as<std::string>() == "managed-nfs-storage");
  CHECK(claim["spec"]["accessModes"][0].as<std::string>() == "ReadWriteMany");
  auto pod = only(docs, "Pod", "test-pod");
  CHECK(pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"].as<std::string>() ==
        "test-claim");
  auto set = only(docs, "StatefulSet", "sample-statefulset");
  CHECK(set["spec"]["replicas"].as<int>() == 3);
  auto templ = set["spec"]["volumeClaimTemplates"][0];
  CHECK(templ["metadata"]["name"].as<std::string>() == "www");
  CHECK(templ["spec"]["storageClassName"].as<std::string>() == "managed-nfs-storage");
  CHECK(templ["spec"]["resources"]["requests"]["storage"].as<std::string>() == "1Gi");
  auto service = only(docs, "Service", set["spec"]["serviceName"].as<std::string>());
  CHECK(service["spec"]["clusterIP"].as<std::string>() == "None");
}

TEST_CASE("the Deployment runs unprivileged, without an NFS mount") {
  auto deployment = only(render(deploy_dir()), "Deployment");
  auto pod = deployment["spec"]["template"]["spec"];
  auto c = container_of(deployment);

  CHECK(pod["securityContext"]["runAsNonRoot"].as<bool>());
  CHECK(pod["securityContext"]["runAsUser"].as<int>() != 0);
  CHECK_FALSE(pod["hostNetwork"].as<bool>(false));
  CHECK(c["securityContext"]["allowPrivilegeEscalation"].as<bool>() == false);
  CHECK(c["securityContext"]["readOnlyRootFilesystem"].as<bool>());
  CHECK_FALSE(c["securityContext"]["privileged"].as<bool>(false));
  auto drop = c["securityContext"]["capabilities"]["drop"];
  REQUIRE(drop.size() == 1);
  CHECK(drop[0].as<std::string>() == "ALL");
  // deploy/NFS-ACCESS.md: privileged source ports come from a pod sysctl, not a capability.
  CHECK_FALSE(c["securityContext"]["capabilities"]["add"]);
  bool unprivileged_ports = false;
  for (const auto& s : pod["securityContext"]["sysctls"])
    unprivileged_ports = unprivileged_ports ||
                         (s["name"].as<std::string>() == "net.ipv4.ip_unprivileged_port_start" &&
                          s["value"].as<std::string>() == "0");
  CHECK(unprivileged_ports);

  for (const auto& v : pod["volumes"]) {
    CHECK_FALSE(v["nfs"]);
    CHECK_FALSE(v["hostPath"]);
  }
  CHECK_FALSE(c["volumeMounts"]);
}

TEST_CASE("the Deployment is configured like nfs-subdir's, with probes and metrics") {
  auto deployment = only(render(deploy_dir()), "Deployment");
  auto pod = deployment["spec"]["template"]["spec"];
  auto c = container_of(deployment);

  CHECK(env_value(c, "NFS_SERVER") == "192.168.3.35");
  CHECK(env_value(c, "NFS_PATH") == "/home/data");
  CHECK_FALSE(env_value(c, "PROVISIONER_NAME").empty());
  CHECK(env_value(c, "ENABLE_LEADER_ELECTION") == "true");
  std::map<std::string, std::string> field_refs;
  for (const auto& e : c["env"])
    if (e["valueFrom"] && e["valueFrom"]["fieldRef"])
      field_refs[e["name"].as<std::string>()] =
          e["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>();
  CHECK(field_refs["POD_NAME"] == "metadata.name");
  CHECK(field_refs["POD_NAMESPACE"] == "metadata.namespace");

  // Probes reach the provisioner's own server (--metrics-address, default :8080).
  REQUIRE(c["ports"].size() == 1);
  CHECK(c["ports"][0]["containerPort"].as<int>() == 8080);
  auto port_name = c["ports"][0]["name"].as<std::string>();
  auto probe_port = [&](const YAML::Node& probe) {
    auto p = probe["httpGet"]["port"].as<std::string>();
    return p == port_name ? 8080 : std::stoi(p);
  };
  CHECK(c["livenessProbe"]["httpGet"]["path"].as<std::string>() == "/healthz");
  CHECK(probe_port(c["livenessProbe"]) == 8080);
  CHECK(c["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/readyz");
  CHECK(probe_port(c["readinessProbe"]) == 8080);
  auto annotations = deployment["spec"]["template"]["metadata"]["annotations"];
  CHECK(annotations["prometheus.io/scrape"].as<std::string>() == "true");
  CHECK(annotations["prometheus.io/port"].as<std::string>() == "8080");

  CHECK(c["resources"]["requests"]["memory"]);
  CHECK(c["resources"]["limits"]["memory"]);
  CHECK(c["resources"]["limits"]["cpu"]);
  // One multi-arch image whose tag is the project's version.
  auto image = c["image"].as<std::string>();
  CHECK_THAT(image, Catch::EndsWith(std::string(":") + NP_VERSION));
  CHECK(pod["serviceAccountName"].as<std::string>() ==
        only(render(deploy_dir()), "ServiceAccount")["metadata"]["name"].as<std::string>());
}

TEST_CASE("the class belongs to the Deployment's provisioner and archives on delete") {
  auto docs = render(deploy_dir());
  auto c = container_of(only(docs, "Deployment"));
  auto sc = only(docs, "StorageClass", "managed-nfs-storage");
  CHECK(sc["provisioner"].as<std::string>() == env_value(c, "PROVISIONER_NAME"));
  CHECK(sc["parameters"]["archiveOnDelete"].as<std::string>() == "true");
}
