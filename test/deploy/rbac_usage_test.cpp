// deploy/rbac.yaml grants exactly what nfs-provisioner uses: the real binary runs a
// provision + delete cycle with leader election against the test API server (which logs
// every request) and nfs-ganesha; each request it made must be allowed by the rendered
// RBAC objects, and each permission they grant must have been used.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "test/deploy/manifests.h"
#include "test/deploy/provision_cycle.h"
#include "test/deploy/rbac_rules.h"
#include "test/nfs_server/ganesha_server.h"

using namespace nfsprov::deploytest;
using nfsprov::testing::GaneshaServer;
using nfsprov::testing::TestApiServer;

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

TEST_CASE("rbac.yaml grants exactly the requests of a provision + delete cycle") {
  auto work =
      std::filesystem::temp_directory_path() / ("np-deploy-rbac-" + std::to_string(::getpid()));
  std::filesystem::create_directories(work);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{work};

  GaneshaServer nfs;
  TestApiServer::Options options;
  options.audit_log = work / "audit.jsonl";
  TestApiServer api(options);

  auto install = create_namespace_and_class(api);
  auto provisioner = start_provisioner({NP_PROVISIONER_BINARY}, install, api, nfs.address(),
                                       work / "provisioner.log");
  auto pv = provision_test_claim(api, "deploy-test", std::chrono::seconds(60));
  INFO("provisioner log:\n" << provisioner->log_text());
  REQUIRE(!pv.empty());
  std::string directory = "deploy-test-test-claim-" + pv;
  CHECK(std::filesystem::is_directory(nfs.export_dir() / directory));

  std::string out;
  REQUIRE(api.kubectl("delete pvc test-claim -n deploy-test --wait=false", &out) == 0);
  REQUIRE(eventually([&] { return kubectl_get(api, "pv " + pv + " -o name").empty(); },
                     std::chrono::seconds(60)));
  CHECK(std::filesystem::is_directory(nfs.export_dir() / ("archived-" + directory)));
  // Kubernetes stops a pod with SIGTERM: the provisioner must exit cleanly.
  CHECK(provisioner->stop(std::chrono::seconds(10)) == 0);

  // Every request the provisioner made, told apart from kubectl's by its User-Agent.
  std::vector<ApiRequest> requests;
  std::vector<std::string> denied;
  std::ifstream log(options.audit_log);
  for (std::string line; std::getline(log, line);) {
    auto e = nlohmann::json::parse(line);
    if (!e.value("userAgent", "").starts_with("nfs-provisioner/")) continue;
    ApiRequest r{e.value("verb", ""),        e.value("apiGroup", ""),  e.value("resource", ""),
                 e.value("subresource", ""), e.value("namespace", ""), e.value("name", "")};
    if (r.resource.empty()) {
      if (!default_non_resource(e.value("path", ""))) denied.push_back(e.value("path", ""));
      continue;
    }
    requests.push_back(r);
  }
  REQUIRE(!requests.empty());

  auto deployment = only(install, "Deployment");
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
