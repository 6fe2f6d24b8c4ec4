// deploy/rbac.yaml grants exactly what nfs-provisioner uses: the real binary runs a
// provision + delete cycle with leader election against the test API server (which logs
// every request) and nfs-ganesha; each request it made must be allowed by the rendered
// RBAC objects, and each permission they grant must have been used.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "test/apiserver/test_apiserver.h"
#include "test/deploy/child_process.h"
#include "test/deploy/manifests.h"
#include "test/deploy/rbac_rules.h"
#include "test/nfs_server/ganesha_server.h"

using namespace nfsprov::deploytest;
using nfsprov::testing::GaneshaServer;
using nfsprov::testing::TestApiServer;

namespace {

// Permissions rbac.yaml grants for paths a short cycle does not take. Each entry says why;
// the list is as short as it can be, since everything here escapes the "unused" check.
const std::set<std::string> kConditional = {
    "patch events",  // only when the same event repeats (its count is bumped)
};

// Discovery paths every authenticated client may read (system:discovery,
// system:public-info-viewer): not part of rbac.yaml.
bool default_non_resource(const std::string& path) {
  return path == "/version" || path == "/api" || path == "/apis" || path.starts_with("/api/") ||
         path.starts_with("/apis/") || path == "/healthz" || path == "/readyz" || path == "/livez";
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Polls until f() is true; false after the deadline. Bounds a wait, asserts no timing.
template <typename F>
bool eventually(F f, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return f();
}

std::string get(const TestApiServer& api, const std::string& what) {
  std::string out;
  return api.kubectl("get " + what, &out) == 0 ? out : std::string{};
}

}  // namespace

TEST_CASE("rbac.yaml grants exactly the requests of a provision + delete cycle") {
  auto install = render(deploy_dir());
  auto deployment = only(install, "Deployment");
  auto container = deployment["spec"]["template"]["spec"]["containers"][0];
  std::string sa = deployment["spec"]["template"]["spec"]["serviceAccountName"].as<std::string>();
  std::string ns = deployment["metadata"]["namespace"].as<std::string>();
  std::string provisioner_name = env_value(container, "PROVISIONER_NAME");

  GaneshaServer nfs;
  TestApiServer::Options options;
  auto audit_dir =
      std::filesystem::temp_directory_path() / ("np-deploy-audit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(audit_dir);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{audit_dir};
  options.audit_log = audit_dir / "audit.jsonl";
  TestApiServer api(options);

  // The install's namespace and class, created by kubectl as a user would.
  std::ostringstream manifest;
  manifest << only(install, "Namespace") << "\n---\n"
           << only(install, "StorageClass", "managed-nfs-storage") << "\n";
  std::ofstream(api.dir() / "install.yaml") << manifest.str();
  std::string out;
  REQUIRE(api.kubectl("create -f " + (api.dir() / "install.yaml").string(), &out) == 0);
  REQUIRE(api.kubectl("create namespace deploy-test", &out) == 0);

  auto address = nfs.address();
  ChildProcess provisioner(NP_PROVISIONER_BINARY,
                           {"--nfs-port", std::to_string(address.nfs_port), "--mount-port",
                            std::to_string(address.mount_port), "--metrics-address",
                            "127.0.0.1:" + std::to_string(free_port())},
                           {{"NFS_SERVER", address.server},
                            {"NFS_PATH", address.export_path},
                            {"PROVISIONER_NAME", provisioner_name},
                            {"ENABLE_LEADER_ELECTION", "true"},
                            {"KUBECONFIG", api.kubeconfig_path().string()},
                            {"POD_NAME", "nfs-provisioner-0"},
                            {"POD_NAMESPACE", ns},
                            {"PATH", "/usr/bin:/bin"}},
                           audit_dir / "provisioner.log");
  INFO("provisioner log:\n" << provisioner.log_text());

  REQUIRE(api.kubectl("create -n deploy-test -f " +
                          (deploy_dir() / "examples" / "test-claim.yaml").string(),
                      &out) == 0);
  std::string pv;
  REQUIRE(eventually([&] {
    pv = get(api, "pvc test-claim -n deploy-test -o jsonpath={.spec.volumeName}");
    return !pv.empty() &&
           get(api, "pvc test-claim -n deploy-test -o jsonpath={.status.phase}") == "Bound";
  }));
  std::string directory = "deploy-test-test-claim-" + pv;
  CHECK(std::filesystem::is_directory(nfs.export_dir() / directory));

  REQUIRE(api.kubectl("delete pvc test-claim -n deploy-test --wait=false", &out) == 0);
  REQUIRE(eventually([&] { return get(api, "pv " + pv + " -o name").empty(); }));
  CHECK(std::filesystem::is_directory(nfs.export_dir() / ("archived-" + directory)));
  CHECK(provisioner.stop(std::chrono::seconds(10)) == 0);

  // Every request the provisioner made, by its User-Agent.
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

  auto grants = grants_for_service_account(install, ns, sa);
  for (const auto& r : requests)
    if (!grants_allow(grants, r)) denied.push_back(r.describe());
  std::sort(denied.begin(), denied.end());
  denied.erase(std::unique(denied.begin(), denied.end()), denied.end());
  INFO("requests rbac.yaml does not allow:\n"
       << [&] {
            std::string s;
            for (const auto& d : denied) s += "  " + d + "\n";
            return s;
          }());
  CHECK(denied.empty());

  std::vector<std::string> unused;
  for (const auto& u : unused_permissions(grants, requests))
    if (!kConditional.count(u.substr(0, u.find(" (")))) unused.push_back(u);
  INFO("permissions rbac.yaml grants that were never used:\n"
       << [&] {
            std::string s;
            for (const auto& u : unused) s += "  " + u + "\n";
            return s;
          }());
  CHECK(unused.empty());
}
