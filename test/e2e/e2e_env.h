// E2eEnv: one test's world — a real Kubernetes control plane (KubeCluster: etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, KWOK nodes), real nfs-ganesha
// servers on 127.0.0.1, and the provisioner's Controller running in-process as the
// ServiceAccount that deploy/rbac.yaml binds — plus the helpers the e2e tests share (create
// classes and claims as cluster-admin, wait for what a user would see). Everything is stopped
// and removed in the destructor, pass or fail.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "nfs/export_pool.h"
#include "provisioner/controller/controller.h"
#include "provisioner/kube/api_client.h"
#include "provisioner/log/log.h"
#include "test/cluster/fault_proxy.h"
#include "test/cluster/kube_cluster.h"
#include "test/nfs_server/ganesha_server.h"
#include "test/support/eventually.h"

namespace nfsprov::e2e {

using json = nlohmann::json;
using namespace std::chrono_literals;

inline constexpr const char* kProvisioner = "k8s-sigs.io/nfs-subdir-external-provisioner";
inline constexpr kube::Resource kPods{"/api/v1", "pods", true};

// The controller's options for tests: short back-off so a retry happens within the test.
controller::ControllerOptions test_options(const nfs::ExportAddress& default_export);

// What the in-process controller reported, counted (it must be thread-safe: workers call it).
class CountingObserver : public controller::ControllerObserver {
 public:
  void provision_succeeded(std::string_view, std::chrono::nanoseconds) override { ++provisioned; }
  void provision_failed(std::string_view, std::chrono::nanoseconds, std::string_view) override {
    ++provision_failures;
  }
  void delete_succeeded(std::string_view, std::chrono::nanoseconds) override { ++deleted; }
  void delete_failed(std::string_view, std::chrono::nanoseconds, std::string_view) override {
    ++delete_failures;
  }
  void archive_expired(const nfs::ExportAddress&) override { ++archives_expired; }
  void queue_retry() override { ++retries; }
  void informer_stats(std::string_view, const kube::InformerStats& stats) override {
    // The counters are cumulative per informer: keep the largest seen.
    const auto seen = static_cast<int>(stats.list_failures + stats.watch_failures);
    for (int was = informer_failures;
         was < seen && !informer_failures.compare_exchange_weak(was, seen);) {
    }
  }
  std::atomic<int> provisioned{0}, provision_failures{0}, deleted{0}, delete_failures{0},
      informer_failures{0}, archives_expired{0};
  std::atomic<int> retries{0};  // keys put back with back-off after a failed step
};

class E2eEnv {
 public:
  explicit E2eEnv(int nfs_servers = 1);
  ~E2eEnv();
  E2eEnv(const E2eEnv&) = delete;
  E2eEnv& operator=(const E2eEnv&) = delete;

  testing::KubeCluster& cluster() { return *cluster_; }
  testing::GaneshaServer& nfs(std::size_t i = 0) { return *nfs_.at(i); }
  // cluster-admin: what the tests (the "user") do.
  kube::ApiClient& api() { return *admin_; }
  // The provisioner's own client: ServiceAccount nfs-provisioner/nfs-provisioner, RBAC from
  // deploy/rbac.yaml. Its kubeconfig, for running the binary.
  kube::ApiClient& provisioner_api() { return *provisioner_api_; }
  const std::filesystem::path& provisioner_kubeconfig() const { return provisioner_kubeconfig_; }
  // The first server's export on the local disk.
  std::filesystem::path export_dir(std::size_t i = 0) { return nfs(i).export_dir(); }

  // From now on the provisioner's client (and provisioner_kubeconfig()) go through a
  // FaultProxy in front of the real kube-apiserver. Call before start_controller().
  testing::FaultProxy& enable_fault_proxy(testing::FaultProxy::Options options = {});

  // What the controller reported since the env was made (across restarts of the controller).
  const CountingObserver& counts() const { return counts_; }

  // Change before start_controller().
  controller::ControllerOptions& options() { return options_; }
  void start_controller();
  // Likewise, reporting to observer (which must outlive the controller) instead of counts().
  void start_controller_with(controller::ControllerObserver* observer);
  void stop_controller();
  // The running controller (after start_controller()).
  const controller::Controller& controller() const { return *controller_; }

  json create_class(const std::string& name, const json& parameters,
                    const std::string& reclaim_policy = "Delete",
                    const std::string& binding_mode = "Immediate");
  // Creates namespace ns unless it exists.
  void ensure_namespace(const std::string& ns);
  // A ReadWriteMany 1Gi claim of class_name; extra is merge-patched into it first. Its
  // namespace is created when missing.
  json create_claim(const std::string& ns, const std::string& name, const std::string& class_name,
                    const json& extra = json::object());
  void delete_claim(const std::string& ns, const std::string& name);
  // An nginx pod (as in the seed's StatefulSet) mounting claim at /usr/share/nginx/html: the
  // real scheduler places it on raspi002 or raspi003 and KWOK runs it.
  json create_pod(const std::string& ns, const std::string& name, const std::string& claim);
  json get_pod(const std::string& ns, const std::string& name);
  json get_claim(const std::string& ns, const std::string& name);
  std::optional<json> find_pv(const std::string& name);
  std::vector<json> list_pvs();
  // Events whose involvedObject has this name (any namespace when ns is empty).
  std::vector<json> events_for(const std::string& ns, const std::string& name);
  bool has_event(const std::string& ns, const std::string& name, const std::string& reason);

  // The claim once it is Bound (its PV then exists); throws when that takes longer.
  json wait_bound(const std::string& ns, const std::string& name,
                  std::chrono::milliseconds timeout = 20s);

 private:
  std::unique_ptr<testing::KubeCluster> cluster_;
  std::vector<std::unique_ptr<testing::GaneshaServer>> nfs_;
  std::unique_ptr<kube::ApiClient> admin_;
  std::filesystem::path provisioner_kubeconfig_;
  std::unique_ptr<kube::ApiClient> provisioner_api_;
  std::unique_ptr<testing::FaultProxy> proxy_;
  // To stderr: ctest shows it for a failed test.
  log::Logger logger_{std::clog, log::Level::info};
  controller::ControllerOptions options_;
  CountingObserver counts_;
  std::unique_ptr<nfs::ExportPools> pools_;
  std::unique_ptr<controller::Controller> controller_;
  std::jthread controller_thread_;
};

// test/support's eventually with the e2e tests' default limit: polls pred every 50 ms until it
// is true or timeout passes; returns its last value.
[[nodiscard]] inline bool wait_until(const std::function<bool()>& pred,
                                     std::chrono::milliseconds timeout = 20s) {
  return testing::eventually(pred, timeout, 50ms);
}

// Names of the entries of a directory on the local disk, sorted, without the provisioner's
// reserved directory (.nfs-provisioner, its crash records: see records_left()).
std::vector<std::string> entries(const std::filesystem::path& dir);
// The volume records left on an export's backing directory (nfs/volume_records.h): empty once
// every volume being made has its PV.
std::vector<std::string> records_left(const std::filesystem::path& export_dir);
// Permission bits of a path on the local disk.
unsigned mode_of(const std::filesystem::path& path);
// json string at a "/a/b" pointer, "" when absent.
std::string str_at(const json& object, const std::string& pointer);

}  // namespace nfsprov::e2e
