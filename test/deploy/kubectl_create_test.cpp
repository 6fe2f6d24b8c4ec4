// The real kubectl creates every deploy/ object and example on a real kube-apiserver (schema
// validation, admission, strict field validation), and reads it back: the manifests are
// accepted by Kubernetes, not only well-formed YAML.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "test/cluster/kube_cluster.h"
#include "test/deploy/manifests.h"

using namespace nfsprov::deploytest;
using nfsprov::testing::KubeCluster;

namespace {

// (apiVersion, kind) pairs from `kubectl api-resources`.
std::set<std::pair<std::string, std::string>> served_kinds(const KubeCluster& api) {
  std::string out;
  REQUIRE(api.kubectl("api-resources --no-headers", &out) == 0);
  std::set<std::pair<std::string, std::string>> kinds;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND
    if (w.size() >= 4) kinds.insert({w[w.size() - 3], w.back()});
  }
  return kinds;
}

}  // namespace

TEST_CASE("kubectl creates every served object of deploy/ and its examples") {
  KubeCluster api;
  auto served = served_kinds(api);
  REQUIRE(served.count({"storage.k8s.io/v1", "StorageClass"}) == 1);

  auto docs = render_text(deploy_dir());
  auto examples = render_text(deploy_dir() / "examples");
  docs.insert(docs.end(), examples.begin(), examples.end());

  std::ostringstream manifest;
  std::vector<YAML::Node> created;
  std::set<std::string> skipped;
  for (const auto& text : docs) {
    const YAML::Node d = YAML::Load(text);
    std::pair<std::string, std::string> key{d["apiVersion"].as<std::string>(),
                                            d["kind"].as<std::string>()};
    if (!served.count(key)) {
      skipped.insert(key.second);
      continue;
    }
    manifest << "---\n" << text;
    created.push_back(d);
  }
  INFO("kinds kube-apiserver does not serve, not created: " << [&] {
    std::string s;
    for (const auto& k : skipped) s += k + " ";
    return s;
  }());
  // A real API server serves every kind a manifest of ours uses.
  CHECK(skipped.empty());
  std::set<std::string> created_kinds;
  for (const auto& d : created) created_kinds.insert(d["kind"].as<std::string>());
  // The kinds a provisioner's user really creates must all have been sent.
  CHECK(created_kinds.count("Namespace"));
  CHECK(created_kinds.count("StorageClass"));
  CHECK(created_kinds.count("PersistentVolumeClaim"));

  auto path = api.dir() / "deploy-manifest.yaml";
  std::ofstream(path) << manifest.str();
  std::string out;
  // The examples carry namespace "default" from their kustomization.
  REQUIRE(api.kubectl("get namespace default -o name", &out) == 0);
  const int created_rc = api.kubectl("create --validate=strict -f " + path.string(), &out);
  INFO(out);
  REQUIRE(created_rc == 0);

  for (const auto& d : created) {
    std::string kind = d["kind"].as<std::string>();
    std::string name = d["metadata"]["name"].as<std::string>();
    std::string ns = d["metadata"]["namespace"].as<std::string>("");
    std::string got;
    int rc = api.kubectl("get " + kind + " " + name + (ns.empty() ? "" : " -n " + ns) +
                             " -o jsonpath={.metadata.name}",
                         &got);
    INFO(kind << " " << name << ": " << got);
    CHECK(rc == 0);
    CHECK(got == name);
  }
}
