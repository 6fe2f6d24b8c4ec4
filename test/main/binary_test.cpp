// The nfs-provisioner binary as users and the kubelet meet it: its exit codes, its one-line
// errors, SIGTERM handling with the Lease released, and no secret in its logs.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "provisioner/kube/api_client.h"
#include "provisioner/kube/kube_config.h"
#include "test/cluster/kube_cluster.h"
#include "test/main/child.h"
#include "test/main/temp_dir.h"
#include "test/nfs_server/ganesha_server.h"

using namespace nfsprov;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using nfsprov::testing::TempDir;

// Runs to completion (bounded) and returns {status, output}.
std::pair<int, std::string> run(const std::vector<std::string>& args,
                                const std::vector<std::string>& env) {
  TempDir dir;
  std::vector<std::string> argv{NP_PROVISIONER_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::Child child(argv, env, dir.path() / "out");
  auto status = child.wait_for(30s);
  REQUIRE(status.has_value());
  return {*status, child.output()};
}

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A real control plane with deploy/'s RBAC installed: the provisioner runs as its
// ServiceAccount, in its namespace, with a TokenRequest token.
struct Cluster {
  testing::KubeCluster cluster;
  fs::path kubeconfig = cluster.install_provisioner_rbac();
  kube::ApiClient admin{kube::load_kubeconfig_file(cluster.admin_kubeconfig())};

  // The ServiceAccount's bearer token, as its kubeconfig carries it.
  std::string token() const {
    std::ifstream in(kubeconfig);
    for (std::string line; std::getline(in, line);)
      if (auto at = line.find("token: "); at != std::string::npos) return line.substr(at + 7);
    return {};
  }
};

constexpr const char* kInstallNamespace = "nfs-provisioner";

// Environment of a provisioner pointed at the cluster, and at an NFS port nothing listens on
// (the controller only talks NFS when there is a claim; the start-up diagnosis just logs).
std::vector<std::string> provisioner_env(const Cluster& c) {
  return {"KUBECONFIG=" + c.kubeconfig.string(),
          "NFS_SERVER=127.0.0.1",
          "NFS_PATH=/export",
          "PROVISIONER_NAME=example.com/nfs",
          "POD_NAME=nfs-provisioner-0",
          std::string("POD_NAMESPACE=") + kInstallNamespace};
}

std::vector<std::string> fast_lease_args() {
  return {NP_PROVISIONER_BIN,
          "--nfs-port=1",
          "--mount-port=1",
          "--nfs-timeout=1s",
          "--metrics-address=127.0.0.1:0",
          "--leader-elect-lease-duration=15s",
          "--leader-elect-renew-deadline=2s",
          "--leader-elect-retry-period=500ms"};
}

}  // namespace

TEST_CASE("missing NFS_SERVER: exit 2 and one line saying so") {
  auto [status, out] = run({}, {"NFS_PATH=/export", "PROVISIONER_NAME=example.com/nfs"});
  CHECK(status == 2);
  CHECK(out == "nfs-provisioner: NFS_SERVER is not set (or pass --nfs-server)\n");
}

TEST_CASE("bad configuration values are one line and exit 2") {
  auto [status, out] = run({}, {"NFS_SERVER=h", "NFS_PATH=/export", "PROVISIONER_NAME=n",
                                "ENABLE_LEADER_ELECTION=maybe"});
  CHECK(status == 2);
  CHECK(line_count(out) == 1);
  CHECK_THAT(out, Catch::StartsWith("nfs-provisioner: ENABLE_LEADER_ELECTION"));
  auto [flag_status, flag_out] = run({"--workers", "lots"}, {});
  CHECK(flag_status == 2);
  CHECK(line_count(flag_out) == 1);
  // Once accepted by the settings, then refused by the health server with exit 1.
  auto [address_status, address_out] =
      run({"--metrics-address=::1:8080"},
          {"NFS_SERVER=h", "NFS_PATH=/export", "PROVISIONER_NAME=n"});
  CHECK(address_status == 2);
  CHECK(address_out ==
        "nfs-provisioner: --metrics-address \"::1:8080\": write IPv6 addresses as "
        "[address]:port\n");
}

TEST_CASE("a kubeconfig server port that is not a number: exit 2 and one line naming it") {
  // Refused while loading the kubeconfig, before any connection: no cluster needed. It came
  // out as "stoi" with exit 1. Reached through a KUBECONFIG list (a missing file, an empty
  // entry), which was taken for one file named "a::b".
  TempDir dir;
  const fs::path kubeconfig = dir.path() / "kubeconfig";
  std::ofstream(kubeconfig)
      << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
         "https://127.0.0.1:abc\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n"
         "  user:\n    token: abc\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
         "current-context: x\n";
  auto [status, out] =
      run({"--metrics-address="},
          {"KUBECONFIG=" + (dir.path() / "missing").string() + "::" + kubeconfig.string(),
           "NFS_SERVER=127.0.0.1", "NFS_PATH=/export", "PROVISIONER_NAME=example.com/nfs"});
  CHECK(status == 2);
  CHECK(out == "nfs-provisioner: kubeconfig " + kubeconfig.string() +
                   ": cluster \"c\": server \"https://127.0.0.1:abc\" has an invalid port "
                   "\"abc\" (want 1 to 65535)\n");
}

TEST_CASE("version and help print and exit 0 without configuration") {
  auto [status, out] = run({"--version"}, {});
  CHECK(status == 0);
  CHECK(out == std::string("nfs-provisioner ") + NP_VERSION + "\n");
  auto [help_status, help] = run({"--help"}, {});
  CHECK(help_status == 0);
  CHECK_THAT(help, Catch::Contains("--nfs-server"));
}

TEST_CASE("an API server that is not there: exit 1 and one line naming it") {
  TempDir dir;
  std::ofstream(dir.path() / "kubeconfig")
      << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
         "https://127.0.0.1:1\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n"
         "    token: abc\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
         "current-context: x\n";
  auto [status, out] =
      run({"--metrics-address="},
          {"KUBECONFIG=" + (dir.path() / "kubeconfig").string(), "NFS_SERVER=127.0.0.1",
           "NFS_PATH=/export", "PROVISIONER_NAME=example.com/nfs"});
  CHECK(status == 1);
  CHECK_THAT(out, Catch::Contains("nfs-provisioner: cannot use the API server at "
                                  "https://127.0.0.1:1"));
  CHECK(line_count(out) == 1);
}

TEST_CASE("a token the API server refuses: exit 1 and one line saying unauthorized") {
  Cluster server;
  TempDir dir;
  std::ifstream in(server.kubeconfig);
  std::string kubeconfig((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = kubeconfig.find(server.token());
  REQUIRE(at != std::string::npos);
  kubeconfig.replace(at, server.token().size(), "not-the-token");
  std::ofstream(dir.path() / "kubeconfig") << kubeconfig;
  auto env = provisioner_env(server);
  env[0] = "KUBECONFIG=" + (dir.path() / "kubeconfig").string();
  auto [status, out] = run({"--metrics-address="}, env);
  CHECK(status == 1);
  CHECK_THAT(out, Catch::Contains("unauthorized"));
  CHECK(line_count(out) == 1);
  CHECK(out.find("not-the-token") == std::string::npos);
}

TEST_CASE("SIGTERM: exit 0 within seconds, and the Lease is released") {
  Cluster server;
  TempDir dir;
  testing::Child child(fast_lease_args(), provisioner_env(server), dir.path() / "out");
  REQUIRE(child.wait_for_output("started provisioner controller", 20s));
  auto& admin = server.admin;
  auto lease = admin.get(kube::kLeases, kInstallNamespace, "example.com-nfs");
  CHECK_THAT(lease["spec"]["holderIdentity"].get<std::string>(),
             Catch::StartsWith("nfs-provisioner-0_"));

  // The operations endpoint main wired up, on the port the log names.
  auto out = child.output();
  auto at = out.find("serving /metrics /healthz /readyz\" port=");
  REQUIRE(at != std::string::npos);
  int port = std::stoi(out.substr(out.find("port=", at) + 5));
  httplib::Client http("127.0.0.1", port);
  auto healthz = http.Get("/healthz");
  REQUIRE(healthz);
  CHECK(healthz->status == 200);
  auto metrics = http.Get("/metrics");
  REQUIRE(metrics);
  CHECK_THAT(metrics->body, Catch::Contains("nfs_provisioner_build_info"));

  auto signalled = std::chrono::steady_clock::now();
  child.signal(SIGTERM);
  auto status = child.wait_for(10s);
  auto took = std::chrono::steady_clock::now() - signalled;
  INFO(child.output());
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(took < 10s);
  lease = admin.get(kube::kLeases, kInstallNamespace, "example.com-nfs");
  CHECK(lease["spec"]["holderIdentity"].get<std::string>() == "");
  CHECK(lease["spec"]["leaseDurationSeconds"] == 1);
  CHECK_THAT(child.output(), Catch::Contains("released lease"));
}

TEST_CASE("no token appears in the output at -v -v") {
  Cluster server;
  TempDir dir;
  auto args = fast_lease_args();
  args.insert(args.end(), {"-v", "-v"});
  testing::Child child(args, provisioner_env(server), dir.path() / "out");
  REQUIRE(child.wait_for_output("started provisioner controller", 20s));
  // Let it renew the Lease and list/watch for a while: those requests carry the token.
  std::this_thread::sleep_for(1500ms);
  child.signal(SIGTERM);
  REQUIRE(child.wait_for(10s).has_value());
  auto out = child.output();
  // The check must be able to fail: debug lines were written, and the token is not short.
  CHECK_THAT(out, Catch::Contains(" debug "));
  REQUIRE(server.token().size() >= 100);  // a ServiceAccount JWT
  CHECK(out.find(server.token()) == std::string::npos);
  CHECK(out.find(server.token().substr(0, 12)) == std::string::npos);
}

TEST_CASE("check: a healthy export passes, a dead one fails with a fix") {
  testing::GaneshaServer nfs;
  auto ports = std::vector<std::string>{"--nfs-port", std::to_string(nfs.nfs_port()),
                                        "--mount-port", std::to_string(nfs.mount_port())};
  std::vector<std::string> args{"check", "--nfs-server", "127.0.0.1", "--nfs-path", "/export"};
  args.insert(args.end(), ports.begin(), ports.end());
  auto [status, out] = run(args, {});
  INFO(out);
  CHECK(status == 0);
  CHECK_THAT(out, Catch::Contains("PASS"));
  CHECK(out.find("FAIL") == std::string::npos);

  auto [dead_status, dead_out] =
      run({"check", "--nfs-server", "127.0.0.1", "--nfs-path", "/export", "--nfs-port", "1",
           "--mount-port", "1", "--nfs-timeout", "2s"},
          {});
  INFO(dead_out);
  CHECK(dead_status == 1);
  CHECK_THAT(dead_out, Catch::Contains("FAIL"));
  CHECK_THAT(dead_out, Catch::Contains("fix:"));
}

TEST_CASE("check with a kubeconfig judges the export of every StorageClass of ours") {
  Cluster server;
  testing::GaneshaServer nfs;
  auto& admin = server.admin;
  auto storage_class = [](std::string name, std::string provisioner, nlohmann::json params) {
    return nlohmann::json{{"apiVersion", "storage.k8s.io/v1"},
                          {"kind", "StorageClass"},
                          {"metadata", {{"name", name}}},
                          {"provisioner", provisioner},
                          {"parameters", params}};
  };
  admin.create(kube::kStorageClasses, "",
               storage_class("ours", "example.com/nfs", nlohmann::json::object()));
  admin.create(kube::kStorageClasses, "",
               storage_class("someone-elses", "example.com/other", {{"server", "10.9.9.9"}}));
  std::vector<std::string> args{"check", "--nfs-port", std::to_string(nfs.nfs_port()),
                                "--mount-port", std::to_string(nfs.mount_port())};
  auto env = provisioner_env(server);
  auto [status, out] = run(args, env);
  INFO(out);
  CHECK(status == 0);
  CHECK_THAT(out, Catch::Contains("StorageClass ours -> 127.0.0.1:/export"));
  CHECK(out.find("someone-elses") == std::string::npos);

  // A class of ours pointing at a share the server does not export fails the whole check.
  admin.create(kube::kStorageClasses, "",
               storage_class("missing-share", "example.com/nfs", {{"share", "/nowhere"}}));
  auto [bad_status, bad_out] = run(args, env);
  INFO(bad_out);
  CHECK(bad_status == 1);
  CHECK_THAT(bad_out, Catch::Contains("StorageClass missing-share -> 127.0.0.1:/nowhere"));
  CHECK_THAT(bad_out, Catch::Contains("FAIL"));
}

namespace {

// The value of the first sample of `name` whose label set contains `label` (e.g.
// class="fast"), or nullopt when /metrics has no such sample.
std::optional<double> sample(const std::string& metrics, const std::string& name,
                             const std::string& label = {}) {
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(name + "{") && !line.starts_with(name + " ")) continue;
    if (!label.empty() && line.find(label) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("metrics and readiness follow a claim the binary provisions") {
  testing::GaneshaServer nfs;
  Cluster server;
  TempDir dir;
  auto address = nfs.address();
  std::vector<std::string> argv{
      NP_PROVISIONER_BIN, "--nfs-port=" + std::to_string(address.nfs_port),
      "--mount-port=" + std::to_string(address.mount_port), "--metrics-address=127.0.0.1:0",
      "--leader-elect-retry-period=500ms"};
  testing::Child child(argv, provisioner_env(server), dir.path() / "out");
  REQUIRE(child.wait_for_output("started provisioner controller", 20s));
  auto out = child.output();
  auto at = out.find("serving /metrics /healthz /readyz\" port=");
  REQUIRE(at != std::string::npos);
  httplib::Client http("127.0.0.1", std::stoi(out.substr(out.find("port=", at) + 5)));

  // Ready once the caches are synced and, as leader, the export answers.
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    auto readyz = http.Get("/readyz");
    ready = readyz && readyz->status == 200;
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  CHECK(ready);
  auto before = http.Get("/metrics");
  REQUIRE(before);
  CHECK(sample(before->body, "nfs_provisioner_leader") == 1.0);
  CHECK(
      sample(before->body, "controller_persistentvolumeclaim_provision_total", "class=\"metered\"")
          .value_or(0) == 0);

  auto& admin = server.admin;
  admin.create(kube::kStorageClasses, "",
               {{"apiVersion", "storage.k8s.io/v1"},
                {"kind", "StorageClass"},
                {"metadata", {{"name", "metered"}}},
                {"provisioner", "example.com/nfs"}});
  admin.create(kube::kPersistentVolumeClaims, "default",
               {{"apiVersion", "v1"},
                {"kind", "PersistentVolumeClaim"},
                {"metadata", {{"name", "data"}}},
                {"spec",
                 {{"storageClassName", "metered"},
                  {"accessModes", {"ReadWriteMany"}},
                  {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}});
  std::string phase;
  for (int i = 0; i < 300 && phase != "Bound"; ++i) {
    std::this_thread::sleep_for(100ms);
    phase =
        admin.get(kube::kPersistentVolumeClaims, "default", "data")["status"].value("phase", "");
  }
  INFO(child.output());
  REQUIRE(phase == "Bound");

  auto after = http.Get("/metrics");
  REQUIRE(after);
  INFO(after->body);
  CHECK(sample(after->body, "controller_persistentvolumeclaim_provision_total",
               "class=\"metered\"") == 1.0);
  CHECK(sample(after->body, "controller_persistentvolumeclaim_provision_duration_seconds_count",
               "class=\"metered\"") == 1.0);
  CHECK(sample(after->body, "nfs_provisioner_nfs_operation_duration_seconds_count",
               "operation=\"create_directory\"")
            .value_or(0) >= 1.0);
  CHECK(sample(after->body, "controller_persistentvolumeclaim_provision_failed_total",
               "class=\"metered\"")
            .value_or(0) == 0);
}
