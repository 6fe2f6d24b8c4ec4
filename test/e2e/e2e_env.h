// E2eEnv: one test's world — the test API server, real nfs-ganesha servers on 127.0.0.1, an
// ApiClient, and the provisioner's Controller running in-process — plus the helpers the e2e
// tests share (create classes and claims, wait for what a user would see). Everything is
// stopped and removed in the destructor, pass or fail.
#pragma once

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
#include "test/apiserver/test_apiserver.h"
#include "test/nfs_server/ganesha_server.h"

namespace nfsprov::e2e {

using json = nlohmann::json;
using namespace std::chrono_literals;

inline constexpr const char* kProvisioner = "k8s-sigs.io/nfs-subdir-external-provisioner";

// The controller's options for tests: short back-off so a retry happens within the test.
controller::ControllerOptions test_options(const nfs::ExportAddress& default_export);

class E2eEnv {
 public:
  explicit E2eEnv(int nfs_servers = 1);
  ~E2eEnv();
  E2eEnv(const E2eEnv&) = delete;
  E2eEnv& operator=(const E2eEnv&) = delete;

  testing::TestApiServer& api_server() { return *api_server_; }
  testing::GaneshaServer& nfs(std::size_t i = 0) { return *nfs_.at(i); }
  kube::ApiClient& api() { return *api_; }
  // The first server's export on the local disk.
  std::filesystem::path export_dir(std::size_t i = 0) { return nfs(i).export_dir(); }

  // Change before start_controller().
  controller::ControllerOptions& options() { return options_; }
  void start_controller();
  void stop_controller();

  json create_class(const std::string& name, const json& parameters,
                    const std::string& reclaim_policy = "Delete",
                    const std::string& binding_mode = "Immediate");
  // A ReadWriteMany 1Gi claim of class_name; extra is merge-patched into it first.
  json create_claim(const std::string& ns, const std::string& name, const std::string& class_name,
                    const json& extra = json::object());
  void delete_claim(const std::string& ns, const std::string& name);
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
  std::unique_ptr<testing::TestApiServer> api_server_;
  std::vector<std::unique_ptr<testing::GaneshaServer>> nfs_;
  std::unique_ptr<kube::ApiClient> api_;
  // To stderr: ctest shows it for a failed test.
  log::Logger logger_{std::clog, log::Level::info};
  controller::ControllerOptions options_;
  std::unique_ptr<nfs::ExportPools> pools_;
  std::unique_ptr<controller::Controller> controller_;
  std::jthread controller_thread_;
};

// Polls pred every 50 ms until it is true or timeout passes; returns its last value.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s);

// Names of the entries of a directory on the local disk, sorted.
std::vector<std::string> entries(const std::filesystem::path& dir);
// Permission bits of a path on the local disk.
unsigned mode_of(const std::filesystem::path& path);
// json string at a "/a/b" pointer, "" when absent.
std::string str_at(const json& object, const std::string& pointer);

}  // namespace nfsprov::e2e
