// The nfs-provisioner binary as users and the kubelet meet it: its exit codes, its one-line
// errors, SIGTERM handling with the Lease released, and no secret in its logs.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "provisioner/kube/api_client.h"
#include "provisioner/kube/kube_config.h"
#include "test/cluster/fault_proxy.h"
#include "test/cluster/kube_cluster.h"
#include "test/nfs_server/ganesha_server.h"
#include "test/support/child_process.h"
#include "test/support/eventually.h"
#include "test/support/kubeconfig.h"
#include "test/support/objects.h"
#include "test/support/temp_dir.h"

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
  testing::ChildProcess child(argv, env, dir.path() / "out");
  auto status = child.wait_for(30s);
  REQUIRE(status.has_value());
  return {*status, child.output()};
}

std::size_t count_of_text(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
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

// A StorageClass of provisioner example.com/nfs, and a ReadWriteMany 1Gi claim "data" of a
// class in namespace default, as cluster-admin.
void create_our_class(kube::ApiClient& admin, const std::string& name) {
  admin.create(kube::kStorageClasses, "",
               {{"apiVersion", "storage.k8s.io/v1"},
                {"kind", "StorageClass"},
                {"metadata", {{"name", name}}},
                {"provisioner", "example.com/nfs"}});
}

void create_data_claim(kube::ApiClient& admin, const std::string& class_name) {
  admin.create(kube::kPersistentVolumeClaims, "default",
               testing::claim_object("", "data", class_name));
}

// The claim's phase once it is Bound, or the last one seen after 30 s.
std::string phase_once_bound(kube::ApiClient& admin, const std::string& name) {
  std::string phase;
  for (int i = 0; i < 300 && phase != "Bound"; ++i) {
    std::this_thread::sleep_for(100ms);
    phase = admin.get(kube::kPersistentVolumeClaims, "default", name)["status"].value("phase", "");
  }
  return phase;
}

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
  auto [address_status, address_out] = run(
      {"--metrics-address=::1:8080"}, {"NFS_SERVER=h", "NFS_PATH=/export", "PROVISIONER_NAME=n"});
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
  const fs::path kubeconfig =
      testing::write_kubeconfig(dir, {.server = "https://127.0.0.1:abc",
                                      .cluster = {"insecure-skip-tls-verify: true"},
                                      .user = {"token: abc"}});
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
  testing::write_kubeconfig(dir, {.server = "https://127.0.0.1:1",
                                  .cluster = {"insecure-skip-tls-verify: true"},
                                  .user = {"token: abc"}});
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
  testing::ChildProcess child(fast_lease_args(), provisioner_env(server), dir.path() / "out");
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
  testing::ChildProcess child(args, provisioner_env(server), dir.path() / "out");
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
  // Under deploy/rbac.yaml every permission the provisioner uses is granted.
  CHECK_THAT(out, Catch::Contains("PASS update persistentvolumes: allowed"));
  CHECK_THAT(
      out, Catch::Contains("PASS update leases.coordination.k8s.io in namespace nfs-provisioner"));
  CHECK_THAT(out, Catch::Contains("Result: PASS, the provisioner may do all it needs"));
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
  testing::ChildProcess child(argv, provisioner_env(server), dir.path() / "out");
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
  create_our_class(admin, "metered");
  create_data_claim(admin, "metered");
  const std::string phase = phase_once_bound(admin, "data");
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
  // The export's size, as statvfs through libnfs gave it (the class's capacityPolicy judged
  // the claim by it), labelled by server and export.
  const std::string where = "server=\"127.0.0.1:/export\"";
  const auto total = sample(after->body, "nfs_provisioner_export_total_bytes", where);
  const auto free = sample(after->body, "nfs_provisioner_export_free_bytes", where);
  const auto available = sample(after->body, "nfs_provisioner_export_available_bytes", where);
  REQUIRE(total);
  REQUIRE(free);
  REQUIRE(available);
  CHECK(*total > 0);
  CHECK(*free <= *total);
  CHECK(*available <= *free);
}

// release-finalizers: the way out when our finalizer outlives us (nfs-subdir back in charge,
// or an uninstall). The PVs are made as cluster-admin with a Retain policy and an nfs source
// no server stands behind: the command only talks to the API. Nothing else removes our
// finalizer here (no provisioner runs), so a deleted PV stays Terminating until it is released.
namespace {

constexpr const char* kOurFinalizer = "external-provisioner.volume.kubernetes.io/finalizer";
constexpr const char* kOurs = "example.com/nfs";

// A PV as a provisioner leaves it, provisioned_by "" for a static PV without the annotation.
// The admission plugin adds kubernetes.io/pv-protection to `finalizers` at creation.
nlohmann::json finalized_volume(const std::string& name, const std::string& provisioned_by,
                                const std::vector<std::string>& finalizers = {kOurFinalizer}) {
  nlohmann::json metadata{{"name", name}, {"finalizers", finalizers}};
  if (!provisioned_by.empty())
    metadata["annotations"] = {{"pv.kubernetes.io/provisioned-by", provisioned_by}};
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolume"},
          {"metadata", metadata},
          {"spec",
           {{"capacity", {{"storage", "1Gi"}}},
            {"accessModes", nlohmann::json::array({"ReadWriteMany"})},
            {"persistentVolumeReclaimPolicy", "Retain"},
            {"nfs", {{"server", "127.0.0.1"}, {"path", "/export/" + name}}}}}};
}

// The PV, or nullopt once it is gone.
std::optional<nlohmann::json> volume(kube::ApiClient& api, const std::string& name) {
  try {
    return api.get(kube::kPersistentVolumes, "", name);
  } catch (const kube::ApiError& e) {
    if (e.kind() == kube::ApiErrorKind::not_found) return std::nullopt;
    throw;
  }
}

std::vector<std::string> finalizers_of(kube::ApiClient& api, const std::string& name) {
  auto pv = volume(api, name);
  REQUIRE(pv.has_value());
  return (*pv)["metadata"].value("finalizers", std::vector<std::string>{});
}

bool has_finalizer(kube::ApiClient& api, const std::string& name, const std::string& finalizer) {
  auto all = finalizers_of(api, name);
  return std::find(all.begin(), all.end(), finalizer) != all.end();
}

bool terminating(kube::ApiClient& api, const std::string& name) {
  auto pv = volume(api, name);
  return pv && (*pv)["metadata"].contains("deletionTimestamp");
}

using testing::eventually;

// The PV controller gives a new PV its phase: wait for it, so the lines name a fixed one.
void wait_available(kube::ApiClient& api, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    INFO(name);
    REQUIRE(eventually([&] {
      auto pv = volume(api, name);
      return pv && (*pv)["status"].value("phase", "") == "Available";
    }));
  }
}

// Deletes the PV and waits until the pv-protection controller has let go of it: what is left
// holding it is ours (and any finalizer the test gave it), and no write of that controller
// races the command's.
void delete_volume(kube::ApiClient& api, const std::string& name) {
  api.remove(kube::kPersistentVolumes, "", name);
  INFO(name);
  REQUIRE(eventually([&] { return !has_finalizer(api, name, "kubernetes.io/pv-protection"); }));
  REQUIRE(terminating(api, name));
}

// The output's lines that start with prefix, sorted (the command's order is the list's).
std::vector<std::string> lines_starting(const std::string& out, const std::string& prefix) {
  std::vector<std::string> found;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(prefix)) found.push_back(line);
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

namespace {

// GET path (/readyz, /healthz) on the port the binary logged: {status, body}; {0, ""} when
// nothing answers.
std::pair<int, std::string> probe(const testing::ChildProcess& child, const std::string& path) {
  const auto out = child.output();
  const auto at = out.find("serving /metrics /healthz /readyz\" port=");
  if (at == std::string::npos) return {0, ""};
  httplib::Client http("127.0.0.1", std::stoi(out.substr(out.find("port=", at) + 5)));
  http.set_read_timeout(5, 0);
  auto res = http.Get(path);
  return res ? std::pair<int, std::string>{res->status, res->body}
             : std::pair<int, std::string>{0, ""};
}

// Until path answers want with text in its body (true), or limit passes.
bool eventually_answers(const testing::ChildProcess& child, const std::string& path, int want,
                        const std::string& text, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto [status, body] = probe(child, path);
    if (status == want && body.find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

bool eventually_ready(const testing::ChildProcess& child, int want, const std::string& text,
                      std::chrono::seconds limit) {
  return eventually_answers(child, "/readyz", want, text, limit);
}

}  // namespace

TEST_CASE("/readyz fails while the API refuses the provisioner or the export hangs, and recovers") {
  testing::GaneshaServer nfs;
  Cluster server;
  testing::FaultProxy proxy(server.cluster);
  TempDir dir;
  auto address = nfs.address();
  std::vector<std::string> argv{NP_PROVISIONER_BIN,
                                "--nfs-port=" + std::to_string(address.nfs_port),
                                "--mount-port=" + std::to_string(address.mount_port),
                                "--metrics-address=127.0.0.1:0",
                                "--nfs-timeout=2s",
                                "--leader-elect-retry-period=500ms"};
  auto env = provisioner_env(server);
  env[0] = "KUBECONFIG=" + proxy.kubeconfig_for(server.kubeconfig).string();
  testing::ChildProcess child(argv, env, dir.path() / "out");
  REQUIRE(child.wait_for_output("started provisioner controller", 20s));
  INFO(child.output());
  REQUIRE(eventually_ready(child, 200, "ok api", 30s));

  // An RBAC change gone wrong: every request is now forbidden, watches included.
  proxy.inject({{"status", 403}, {"count", 1000000}});
  proxy.inject({{"drop_watches", true}});
  CHECK(eventually_ready(child, 503, "FAIL api", 30s));
  proxy.inject({{"clear", true}});
  // Ready again once the informers answer and the last 403 is 30 s old.
  CHECK(eventually_ready(child, 200, "ok rbac", 90s));

  // The leader's export stops answering: not ready until it answers again.
  nfs.freeze();
  CHECK(eventually_ready(child, 503, "FAIL export", 40s));
  nfs.thaw();
  CHECK(eventually_ready(child, 200, "ok export", 40s));
  // It never gave up: the same process, still running.
  CHECK_FALSE(child.wait_for(0ms).has_value());
}

TEST_CASE("/healthz fails while a worker is stuck in one step past --stall-timeout, and recovers") {
  testing::GaneshaServer nfs;
  Cluster server;
  TempDir dir;
  auto address = nfs.address();
  // An NFS call may wait a minute for its answer, a step may take 2 s: a frozen server then
  // wedges the worker for longer than its allowance.
  std::vector<std::string> argv{NP_PROVISIONER_BIN,
                                "--nfs-port=" + std::to_string(address.nfs_port),
                                "--mount-port=" + std::to_string(address.mount_port),
                                "--metrics-address=127.0.0.1:0",
                                "--nfs-timeout=60s",
                                "--stall-timeout=2s",
                                "--leader-elect-retry-period=500ms"};
  testing::ChildProcess child(argv, provisioner_env(server), dir.path() / "out");
  REQUIRE(child.wait_for_output("started provisioner controller", 20s));
  INFO(child.output());
  REQUIRE(eventually_answers(child, "/healthz", 200,
                             "ok controller: informers and workers progress", 30s));

  auto& admin = server.admin;
  create_our_class(admin, "stalled");
  nfs.freeze();
  create_data_claim(admin, "stalled");
  // The kubelet would now restart the pod; the body says which loop and what it works on.
  CHECK(eventually_answers(child, "/healthz", 500, "FAIL controller: worker ", 30s));
  const std::string unhealthy = probe(child, "/healthz").second;
  CHECK_THAT(unhealthy,
             Catch::Contains(" on claim/default/data for ") && Catch::Contains("(allowed 2s)"));

  nfs.thaw();
  REQUIRE(eventually_answers(child, "/healthz", 200, "ok controller", 30s));
  const std::string phase = phase_once_bound(admin, "data");
  CHECK(phase == "Bound");
}

namespace {

// The grants nfs-subdir-external-provisioner's own deploy/rbac.yaml gives its ServiceAccount:
// leader election on Endpoints (not Leases), and no update of PersistentVolumes.
constexpr const char* kNfsSubdirRbac = R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: nfs-client-provisioner, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: nfs-client-provisioner-runner}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [persistentvolumes], verbs: [get, list, watch, create, delete]}
- {apiGroups: [""], resources: [persistentvolumeclaims], verbs: [get, list, watch, update]}
- {apiGroups: [storage.k8s.io], resources: [storageclasses], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [events], verbs: [create, update, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: run-nfs-client-provisioner}
subjects: [{kind: ServiceAccount, name: nfs-client-provisioner, namespace: default}]
roleRef: {kind: ClusterRole, name: nfs-client-provisioner-runner, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: leader-locking-nfs-client-provisioner, namespace: default}
rules:
- {apiGroups: [""], resources: [endpoints], verbs: [get, list, watch, create, update, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: leader-locking-nfs-client-provisioner, namespace: default}
subjects: [{kind: ServiceAccount, name: nfs-client-provisioner, namespace: default}]
roleRef: {kind: Role, name: leader-locking-nfs-client-provisioner, apiGroup: rbac.authorization.k8s.io}
)";

}  // namespace

TEST_CASE(
    "swapped in under nfs-subdir's RBAC: the missing Lease permission is logged once, "
    "counted, and /readyz fails") {
  testing::KubeCluster cluster;
  cluster.kubectl_ok("apply -f -", kNfsSubdirRbac);
  const auto kubeconfig = cluster.service_account_kubeconfig("default", "nfs-client-provisioner");
  TempDir dir;
  std::vector<std::string> argv{NP_PROVISIONER_BIN,
                                "--nfs-port=1",
                                "--mount-port=1",
                                "--nfs-timeout=1s",
                                "--metrics-address=127.0.0.1:0",
                                "--leader-elect-retry-period=500ms"};
  testing::ChildProcess child(argv,
                              {"KUBECONFIG=" + kubeconfig.string(), "NFS_SERVER=127.0.0.1",
                               "NFS_PATH=/export", "PROVISIONER_NAME=example.com/nfs",
                               "POD_NAME=nfs-client-provisioner-0", "POD_NAMESPACE=default"},
                              dir.path() / "out");
  REQUIRE(child.wait_for_output("serving /metrics /healthz /readyz", 20s));
  CHECK(eventually_ready(child, 503, "FAIL rbac", 30s));
  // Several refused renewals later, still one line naming what to grant.
  const auto out = child.output();
  const auto at = out.find("serving /metrics /healthz /readyz\" port=");
  httplib::Client http("127.0.0.1", std::stoi(out.substr(out.find("port=", at) + 5)));
  std::optional<double> refused;
  for (int i = 0; i < 100 && refused.value_or(0) < 4; ++i) {
    std::this_thread::sleep_for(200ms);
    if (auto metrics = http.Get("/metrics"))
      refused = sample(metrics->body, "nfs_provisioner_api_forbidden_total");
  }
  INFO(child.output());
  CHECK(refused.value_or(0) >= 4);
  CHECK(count_of_text(child.output(), "forbidden by the API server's RBAC") == 1);
  CHECK_THAT(child.output(), Catch::Contains("cannot get resource \\\"leases\\\""));
  CHECK(child.output().find("became leader") == std::string::npos);

  // The pre-flight check asks the API server the same questions and prints the rules to add.
  auto [status, report] =
      run({"check", "--nfs-port=1", "--mount-port=1", "--nfs-timeout=1s"},
          {"KUBECONFIG=" + kubeconfig.string(), "NFS_SERVER=127.0.0.1", "NFS_PATH=/export",
           "PROVISIONER_NAME=example.com/nfs", "POD_NAMESPACE=default"});
  INFO(report);
  CHECK(status == 1);
  CHECK_THAT(report, Catch::Contains("Checking API permissions (SelfSubjectAccessReview)"));
  for (const char* verb : {"get", "create", "update"})
    CHECK_THAT(report, Catch::Contains(std::string("FAIL ") + verb +
                                       " leases.coordination.k8s.io in namespace default: "
                                       "denied (leader election)"));
  CHECK_THAT(report, Catch::Contains("FAIL update persistentvolumes: denied"));
  CHECK_THAT(report, Catch::Contains("fix: add {apiGroups: [\"\"], resources: "
                                     "[\"persistentvolumes\"], verbs: [\"update\"]} to the "
                                     "ClusterRole"));
  CHECK_THAT(report, Catch::Contains("leader-locking-nfs-provisioner in deploy/rbac.yaml"));
  CHECK_THAT(report, Catch::Contains("PASS list persistentvolumeclaims: allowed"));
  CHECK_THAT(report, Catch::Contains("PASS patch events: allowed"));
  // Growing claims (issue 14) needs two rules nfs-subdir never had.
  CHECK_THAT(report, Catch::Contains("FAIL patch persistentvolumes: denied"));
  CHECK_THAT(report, Catch::Contains("FAIL patch persistentvolumeclaims/status: denied"));
  CHECK_THAT(report, Catch::Contains("Result: FAIL (6 denied)"));
}

TEST_CASE("release-finalizers: deleted PVs of ours go, others stay, --dry-run, then --all") {
  Cluster server;
  auto& admin = server.admin;
  const std::string other = "example.com/other";
  admin.create(kube::kPersistentVolumes, "", finalized_volume("ours-deleted", kOurs));
  // Someone else's finalizer too: released, it still holds the PV.
  admin.create(kube::kPersistentVolumes, "",
               finalized_volume("ours-deleted-held", kOurs, {kOurFinalizer, "example.com/hold"}));
  admin.create(kube::kPersistentVolumes, "", finalized_volume("ours-live", kOurs));
  // As nfs-subdir provisions them after a switch back: our name, no finalizer.
  admin.create(kube::kPersistentVolumes, "", finalized_volume("ours-unfinalized", kOurs, {}));
  admin.create(kube::kPersistentVolumes, "", finalized_volume("others-deleted", other));
  admin.create(kube::kPersistentVolumes, "", finalized_volume("others-live", other));
  admin.create(kube::kPersistentVolumes, "", finalized_volume("static-deleted", ""));
  wait_available(admin, {"ours-deleted", "ours-deleted-held", "ours-live", "ours-unfinalized",
                         "others-deleted", "others-live", "static-deleted"});
  for (const auto* name : {"ours-deleted", "ours-deleted-held", "others-deleted", "static-deleted"})
    delete_volume(admin, name);
  // Stuck: nothing removes our finalizer. No wait is needed to give anything the chance to:
  // delete_volume waited until kube-controller-manager's pv-protection controller had
  // processed the deletion and let go, and no provisioner runs here. What still holds the PV
  // is ours (a controller that wrongly removed it would have done so by then, and these
  // checks would fail).
  CHECK(terminating(admin, "ours-deleted"));
  CHECK(has_finalizer(admin, "ours-deleted", kOurFinalizer));

  // As the ServiceAccount deploy/rbac.yaml binds; the name from the flag here, from
  // PROVISIONER_NAME below.
  const std::vector<std::string> by_flag{"KUBECONFIG=" + server.kubeconfig.string()};
  const std::vector<std::string> env{"KUBECONFIG=" + server.kubeconfig.string(),
                                     std::string("PROVISIONER_NAME=") + kOurs};
  auto [dry_status, dry_out] =
      run({"release-finalizers", "--dry-run", "--provisioner-name", kOurs}, by_flag);
  INFO(dry_out);
  CHECK(dry_status == 0);
  CHECK(lines_starting(dry_out, "would release ") ==
        std::vector<std::string>{"would release ours-deleted (Available, deleting)",
                                 "would release ours-deleted-held (Available, deleting)"});
  CHECK(lines_starting(dry_out, "released ").empty());
  CHECK_THAT(dry_out, Catch::Contains("\ntotal: 2 to release (dry run: nothing changed)\n"));
  for (const auto* name : {"ours-deleted", "ours-deleted-held", "ours-live"}) {
    INFO(name);
    CHECK(has_finalizer(admin, name, kOurFinalizer));
  }

  auto [status, out] = run({"release-finalizers"}, env);
  INFO(out);
  CHECK(status == 0);
  CHECK(lines_starting(out, "released ") ==
        std::vector<std::string>{"released ours-deleted (Available, deleting)",
                                 "released ours-deleted-held (Available, deleting)"});
  CHECK(lines_starting(out, "cannot release ").empty());
  CHECK_THAT(out, Catch::Contains("\ntotal: 2 released, 0 failed\n"));
  CHECK(eventually([&] { return !volume(admin, "ours-deleted"); }));
  // Only ours went: the other finalizer still holds its PV.
  CHECK(terminating(admin, "ours-deleted-held"));
  CHECK(finalizers_of(admin, "ours-deleted-held") == std::vector<std::string>{"example.com/hold"});
  // Not ours, or not being deleted: untouched.
  CHECK(terminating(admin, "others-deleted"));
  CHECK(has_finalizer(admin, "others-deleted", kOurFinalizer));
  CHECK(terminating(admin, "static-deleted"));
  CHECK(has_finalizer(admin, "static-deleted", kOurFinalizer));
  CHECK(finalizers_of(admin, "ours-live") ==
        std::vector<std::string>{kOurFinalizer, "kubernetes.io/pv-protection"});
  CHECK(finalizers_of(admin, "others-live") ==
        std::vector<std::string>{kOurFinalizer, "kubernetes.io/pv-protection"});

  // Again: nothing left to do is success.
  auto [again_status, again_out] = run({"release-finalizers"}, env);
  INFO(again_out);
  CHECK(again_status == 0);
  CHECK(lines_starting(again_out, "released ").empty());
  CHECK_THAT(again_out, Catch::Contains("\ntotal: 0 released, 0 failed\n"));

  auto [all_dry_status, all_dry_out] = run({"release-finalizers", "--all", "--dry-run"}, env);
  INFO(all_dry_out);
  CHECK(all_dry_status == 0);
  CHECK(lines_starting(all_dry_out, "would release ") ==
        std::vector<std::string>{"would release ours-live (Available, kept)"});
  CHECK(has_finalizer(admin, "ours-live", kOurFinalizer));

  // --all, for an uninstall: every PV of ours, deleted or not; pv-protection stays.
  auto [all_status, all_out] = run({"release-finalizers", "--all"}, env);
  INFO(all_out);
  CHECK(all_status == 0);
  CHECK(lines_starting(all_out, "released ") ==
        std::vector<std::string>{"released ours-live (Available, kept)"});
  CHECK_THAT(all_out, Catch::Contains("\ntotal: 1 released, 0 failed\n"));
  CHECK(finalizers_of(admin, "ours-live") ==
        std::vector<std::string>{"kubernetes.io/pv-protection"});
  CHECK(finalizers_of(admin, "ours-unfinalized") ==
        std::vector<std::string>{"kubernetes.io/pv-protection"});
  CHECK(finalizers_of(admin, "others-live") ==
        std::vector<std::string>{kOurFinalizer, "kubernetes.io/pv-protection"});
  CHECK(terminating(admin, "others-deleted"));
  // And a later deletion no longer hangs.
  admin.remove(kube::kPersistentVolumes, "", "ours-live");
  CHECK(eventually([&] { return !volume(admin, "ours-live"); }));
}

TEST_CASE("release-finalizers: a PV it may not update fails alone, kubectl patch frees it") {
  Cluster server;
  auto& admin = server.admin;
  // A reader that may list and get PVs but not update them, and an account with no rights.
  server.cluster.kubectl_ok("apply -f -", R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: pv-reader, namespace: nfs-provisioner}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: nobody, namespace: nfs-provisioner}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pv-reader}
rules:
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pv-reader}
subjects: [{kind: ServiceAccount, name: pv-reader, namespace: nfs-provisioner}]
roleRef: {kind: ClusterRole, name: pv-reader, apiGroup: rbac.authorization.k8s.io}
)");
  REQUIRE(eventually([&] {
    return server.cluster.kubectl(
               "auth can-i list persistentvolumes "
               "--as=system:serviceaccount:nfs-provisioner:pv-reader") == 0;
  }));
  const auto reader = server.cluster.service_account_kubeconfig("nfs-provisioner", "pv-reader");
  const auto nobody = server.cluster.service_account_kubeconfig("nfs-provisioner", "nobody");

  admin.create(kube::kPersistentVolumes, "", finalized_volume("ours-a", kOurs));
  admin.create(kube::kPersistentVolumes, "", finalized_volume("ours-b", kOurs));
  // Not deleted, our finalizer second: the patch's index must be found, not assumed.
  admin.create(kube::kPersistentVolumes, "",
               finalized_volume("ours-c", kOurs, {"example.com/hold", kOurFinalizer}));
  wait_available(admin, {"ours-a", "ours-b", "ours-c"});
  delete_volume(admin, "ours-a");
  delete_volume(admin, "ours-b");

  const std::string name = std::string("PROVISIONER_NAME=") + kOurs;
  auto [status, out] = run({"release-finalizers"}, {"KUBECONFIG=" + reader.string(), name});
  INFO(out);
  CHECK(status == 1);
  auto failed = lines_starting(out, "cannot release ");
  REQUIRE(failed.size() == 2);
  CHECK_THAT(failed[0], Catch::StartsWith("cannot release ours-a: PUT /api/v1/persistentvolumes/"
                                          "ours-a: 403 Forbidden"));
  CHECK_THAT(failed[1], Catch::StartsWith("cannot release ours-b: PUT /api/v1/persistentvolumes/"
                                          "ours-b: 403 Forbidden"));
  CHECK_THAT(out, Catch::Contains("\ntotal: 0 released, 2 failed\n"));
  CHECK(has_finalizer(admin, "ours-a", kOurFinalizer));
  CHECK(has_finalizer(admin, "ours-b", kOurFinalizer));
  // A dry run needs only the list.
  auto [dry_status, dry_out] =
      run({"release-finalizers", "--dry-run"}, {"KUBECONFIG=" + reader.string(), name});
  INFO(dry_out);
  CHECK(dry_status == 0);
  CHECK(lines_starting(dry_out, "would release ").size() == 2);

  // Without the list there is nothing to go on: one line, exit 1.
  auto [list_status, list_out] =
      run({"release-finalizers"}, {"KUBECONFIG=" + nobody.string(), name});
  INFO(list_out);
  CHECK(list_status == 1);
  auto errors = lines_starting(list_out, "nfs-provisioner: ");
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::StartsWith("nfs-provisioner: cannot list PersistentVolumes: GET "
                                          "/api/v1/persistentvolumes"));
  CHECK_THAT(errors[0], Catch::Contains("403 Forbidden"));
  CHECK(lines_starting(list_out, "total: ").empty());

  // The kubectl-only way, as the README gives it: the index of our finalizer in the list.
  auto index_of_ours = [&](const std::string& pv) {
    auto list = nlohmann::json::parse(
        server.cluster.kubectl_ok("get pv " + pv + " -o jsonpath='{.metadata.finalizers}'"));
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i] == kOurFinalizer) return i;
    FAIL("no finalizer of ours on " + pv);
    return std::size_t{0};
  };
  const auto a = index_of_ours("ours-a");
  server.cluster.kubectl_ok(
      "patch pv ours-a --type json -p '[{\"op\":\"remove\",\"path\":"
      "\"/metadata/finalizers/" +
      std::to_string(a) + "\"}]'");
  CHECK(eventually([&] { return !volume(admin, "ours-a"); }));
  const auto c = index_of_ours("ours-c");
  CHECK(c == 1);
  // The guarded form: a test op first, so a list that changed meanwhile fails the patch
  // instead of losing someone else's finalizer.
  const std::string path = "/metadata/finalizers/" + std::to_string(c);
  CHECK(server.cluster.kubectl("patch pv ours-c --type json -p '[{\"op\":\"test\",\"path\":\"" +
                               path +
                               "\",\"value\":\"example.com/not-this\"},{\"op\":\"remove\","
                               "\"path\":\"" +
                               path + "\"}]'") != 0);
  server.cluster.kubectl_ok("patch pv ours-c --type json -p '[{\"op\":\"test\",\"path\":\"" + path +
                            "\",\"value\":\"" + kOurFinalizer +
                            "\"},{\"op\":\"remove\",\"path\":\"" + path + "\"}]'");
  CHECK(finalizers_of(admin, "ours-c") ==
        std::vector<std::string>{"example.com/hold", "kubernetes.io/pv-protection"});
}

TEST_CASE("release-finalizers: one conflict is retried from a fresh GET, two fail the PV") {
  Cluster server;
  auto& admin = server.admin;
  // Someone else's finalizer keeps the PV after the release, to show their write survived.
  admin.create(kube::kPersistentVolumes, "",
               finalized_volume("ours-raced", kOurs, {kOurFinalizer, "example.com/hold"}));
  wait_available(admin, {"ours-raced"});
  delete_volume(admin, "ours-raced");

  // Every request waits in the proxy before it goes on: a write made while the PUT waits
  // lands between the command's read and its PUT, as a concurrent writer's would.
  testing::FaultProxy proxy(server.cluster);
  proxy.inject({{"latency_ms", 1500}});
  const std::vector<std::string> env{
      "KUBECONFIG=" + proxy.kubeconfig_for(server.kubeconfig).string(),
      std::string("PROVISIONER_NAME=") + kOurs};
  int touches = 0;
  auto touch = [&] {
    admin.merge_patch(
        kube::kPersistentVolumes, "", "ours-raced",
        {{"metadata", {{"annotations", {{"example.com/touched", std::to_string(++touches)}}}}}});
  };
  auto wait_requests = [&](std::size_t n) {
    REQUIRE(eventually([&] { return proxy.requests() >= n; }, 20s));
  };

  // Requests: /version, the list, PUT (conflict), GET, PUT (conflict again): given up.
  {
    TempDir dir;
    const auto base = proxy.requests();
    testing::ChildProcess child({NP_PROVISIONER_BIN, "release-finalizers"}, env,
                                dir.path() / "out");
    wait_requests(base + 3);
    touch();
    wait_requests(base + 5);
    touch();
    auto status = child.wait_for(30s);
    INFO(child.output());
    REQUIRE(status.has_value());
    CHECK(*status == 1);
    auto failed = lines_starting(child.output(), "cannot release ");
    REQUIRE(failed.size() == 1);
    CHECK_THAT(failed[0], Catch::StartsWith("cannot release ours-raced: PUT "
                                            "/api/v1/persistentvolumes/ours-raced: 409 Conflict"));
    CHECK_THAT(child.output(), Catch::Contains("\ntotal: 0 released, 1 failed\n"));
    CHECK(proxy.requests() == base + 5);
    CHECK(has_finalizer(admin, "ours-raced", kOurFinalizer));
  }
  // One conflict: the fresh copy is released, and the other writer's change is kept.
  {
    TempDir dir;
    const auto base = proxy.requests();
    testing::ChildProcess child({NP_PROVISIONER_BIN, "release-finalizers"}, env,
                                dir.path() / "out");
    wait_requests(base + 3);
    touch();
    auto status = child.wait_for(30s);
    INFO(child.output());
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(lines_starting(child.output(), "released ") ==
          std::vector<std::string>{"released ours-raced (Available, deleting)"});
    CHECK(proxy.requests() == base + 5);
  }
  auto pv = volume(admin, "ours-raced");
  REQUIRE(pv.has_value());
  CHECK((*pv)["metadata"]["annotations"].value("example.com/touched", "") == "3");
  CHECK(finalizers_of(admin, "ours-raced") == std::vector<std::string>{"example.com/hold"});
}

TEST_CASE("release-finalizers: bad usage is one line and exit 2") {
  auto [status, out] = run({"release-finalizers"}, {});
  CHECK(status == 2);
  CHECK(out ==
        "nfs-provisioner: release-finalizers needs PROVISIONER_NAME (or --provisioner-name): the "
        "PVs it releases are those provisioned by that name\n");
  auto [flag_status, flag_out] =
      run({"release-finalizers", "--everything"}, {"PROVISIONER_NAME=n"});
  CHECK(flag_status == 2);
  CHECK(line_count(flag_out) == 1);
  CHECK_THAT(flag_out, Catch::Contains("--everything"));
  auto [all_status, all_out] = run({"--all"}, {"PROVISIONER_NAME=n"});
  CHECK(all_status == 2);
  CHECK(line_count(all_out) == 1);
}

TEST_CASE("every metric the Grafana dashboard queries is one the binary exports") {
  testing::GaneshaServer nfs;
  Cluster server;
  TempDir dir;
  const auto address = nfs.address();
  testing::ChildProcess child({NP_PROVISIONER_BIN, "--nfs-port=" + std::to_string(address.nfs_port),
                               "--mount-port=" + std::to_string(address.mount_port),
                               "--metrics-address=127.0.0.1:0", "--leader-elect=false"},
                              provisioner_env(server), dir.path() / "out");
  REQUIRE(child.wait_for_output("started provisioner controller", 20s));
  const auto out = child.output();
  const auto at = out.find("serving /metrics /healthz /readyz\" port=");
  REQUIRE(at != std::string::npos);
  httplib::Client http("127.0.0.1", std::stoi(out.substr(out.find("port=", at) + 5)));
  const auto metrics = http.Get("/metrics");
  REQUIRE(metrics);
  // Family name -> type, from the "# TYPE <name> <type>" lines.
  std::map<std::string, std::string> families;
  std::istringstream lines(metrics->body);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string hash, type_word, name, type;
    if (words >> hash >> type_word >> name >> type && hash == "#" && type_word == "TYPE")
      families[name] = type;
  }
  const auto exported = [&](const std::string& name) {
    if (families.contains(name)) return true;
    for (const std::string suffix : {"_bucket", "_sum", "_count"})
      if (name.ends_with(suffix)) {
        const auto family = families.find(name.substr(0, name.size() - suffix.size()));
        if (family != families.end() && family->second == "histogram") return true;
      }
    return false;
  };

  std::ifstream file(NP_DASHBOARD);
  REQUIRE(file);
  const auto dashboard = nlohmann::json::parse(file);
  std::vector<std::string> queries;
  for (const auto& panel : dashboard["panels"])
    for (const auto& target : panel.value("targets", nlohmann::json::array()))
      queries.push_back(target.at("expr").get<std::string>());
  for (const auto& variable : dashboard["templating"]["list"])
    if (variable.contains("definition")) queries.push_back(variable["definition"]);
  std::set<std::string> used;
  const std::regex metric_name(R"(\b(nfs_provisioner_[a-z_]+|controller_[a-z_]+)\b)");
  for (const auto& query : queries)
    for (std::sregex_iterator it(query.begin(), query.end(), metric_name), end; it != end; ++it)
      used.insert((*it)[1]);
  // What the issue asks the dashboard to show is there.
  for (const char* needed :
       {"controller_persistentvolumeclaim_provision_total",
        "controller_persistentvolumeclaim_provision_failed_total",
        "controller_persistentvolumeclaim_provision_duration_seconds_bucket",
        "nfs_provisioner_workqueue_depth", "nfs_provisioner_nfs_operation_duration_seconds_bucket",
        "nfs_provisioner_export_available_bytes"})
    CHECK(used.contains(needed));
  for (const auto& name : used) {
    INFO(name);
    CHECK(exported(name));
  }
  CHECK_FALSE(exported("nfs_provisioner_no_such_metric"));
}
