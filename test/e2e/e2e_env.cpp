#include "test/e2e/e2e_env.h"

#include <sys/stat.h>

#include <algorithm>
#include <stdexcept>

#include "nfs/volume_records.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/kube_config.h"
#include "provisioner/kube/resource.h"
#include "test/support/objects.h"

namespace nfsprov::e2e {

controller::ControllerOptions test_options(const nfs::ExportAddress& default_export) {
  controller::ControllerOptions options;
  options.provisioner_name = kProvisioner;
  options.default_export = default_export;
  options.workers = 4;
  options.resync = 30s;
  options.backoff_base = 100ms;
  options.backoff_max = 2s;
  return options;
}

namespace {

// The tests' clients: no client-side rate limit worth the name, so a test measures the server.
kube::ClientOptions client_options() {
  kube::ClientOptions options;
  options.qps = 2000;
  options.burst = 4000;
  return options;
}

}  // namespace

E2eEnv::E2eEnv(int nfs_servers) {
  cluster_ = std::make_unique<testing::KubeCluster>();
  for (int i = 0; i < nfs_servers; ++i) nfs_.push_back(std::make_unique<testing::GaneshaServer>());
  admin_ = std::make_unique<kube::ApiClient>(
      kube::load_kubeconfig_file(cluster_->admin_kubeconfig()), client_options());
  provisioner_kubeconfig_ = cluster_->install_provisioner_rbac();
  provisioner_api_ = std::make_unique<kube::ApiClient>(
      kube::load_kubeconfig_file(provisioner_kubeconfig_), client_options());
  options_ = test_options(nfs(0).address());
}

E2eEnv::~E2eEnv() {
  stop_controller();
}

testing::FaultProxy& E2eEnv::enable_fault_proxy(testing::FaultProxy::Options options) {
  proxy_ = std::make_unique<testing::FaultProxy>(*cluster_, options);
  provisioner_kubeconfig_ = proxy_->kubeconfig_for(provisioner_kubeconfig_);
  provisioner_api_ = std::make_unique<kube::ApiClient>(
      kube::load_kubeconfig_file(provisioner_kubeconfig_), client_options());
  return *proxy_;
}

void E2eEnv::start_controller() {
  start_controller_with(&counts_);
}

void E2eEnv::start_controller_with(controller::ControllerObserver* observer) {
  stop_controller();
  pools_ = std::make_unique<nfs::ExportPools>(4);
  controller_ = std::make_unique<controller::Controller>(*provisioner_api_, *pools_, options_,
                                                         logger_, observer);
  controller_thread_ = std::jthread([this](std::stop_token stop) { controller_->run(stop); });
  if (!wait_until([this] { return controller_->synced(); }, 10s))
    throw std::runtime_error("controller did not sync its caches");
}

void E2eEnv::stop_controller() {
  if (controller_thread_.joinable()) {
    controller_thread_.request_stop();
    controller_thread_.join();
  }
  controller_.reset();
  pools_.reset();
}

json E2eEnv::create_class(const std::string& name, const json& parameters,
                          const std::string& reclaim_policy, const std::string& binding_mode) {
  json sc = {{"apiVersion", "storage.k8s.io/v1"}, {"kind", "StorageClass"},
             {"metadata", {{"name", name}}},      {"provisioner", kProvisioner},
             {"parameters", parameters},          {"reclaimPolicy", reclaim_policy},
             {"volumeBindingMode", binding_mode}};
  return admin_->create(kube::kStorageClasses, {}, sc);
}

json E2eEnv::create_claim(const std::string& ns, const std::string& name,
                          const std::string& class_name, const json& extra) {
  json claim = testing::claim_object(ns, name, class_name);
  claim.merge_patch(extra);
  ensure_namespace(ns);
  return admin_->create(kube::kPersistentVolumeClaims, ns, claim);
}

void E2eEnv::ensure_namespace(const std::string& ns) {
  try {
    admin_->create(kube::kNamespaces, {},
                   {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  } catch (const kube::ApiError& e) {
    if (e.kind() != kube::ApiErrorKind::already_exists) throw;
  }
}

void E2eEnv::delete_claim(const std::string& ns, const std::string& name) {
  admin_->remove(kube::kPersistentVolumeClaims, ns, name);
}

json E2eEnv::create_pod(const std::string& ns, const std::string& name, const std::string& claim) {
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"spec",
       {{"containers",
         {{{"name", "nginx"},
           {"image", "nginx"},
           {"volumeMounts", {{{"name", "www"}, {"mountPath", "/usr/share/nginx/html"}}}}}}},
        {"volumes", {{{"name", "www"}, {"persistentVolumeClaim", {{"claimName", claim}}}}}}}}};
  ensure_namespace(ns);
  return admin_->create(kPods, ns, pod);
}

json E2eEnv::get_pod(const std::string& ns, const std::string& name) {
  return admin_->get(kPods, ns, name);
}

json E2eEnv::get_claim(const std::string& ns, const std::string& name) {
  return admin_->get(kube::kPersistentVolumeClaims, ns, name);
}

std::optional<json> E2eEnv::find_pv(const std::string& name) {
  try {
    return admin_->get(kube::kPersistentVolumes, {}, name);
  } catch (const kube::ApiError& e) {
    if (e.kind() == kube::ApiErrorKind::not_found) return std::nullopt;
    throw;
  }
}

std::vector<json> E2eEnv::list_pvs() {
  std::vector<json> out;
  const json list = admin_->list(kube::kPersistentVolumes);  // the loop must not outlive it
  for (const auto& pv : list.at("items")) out.push_back(pv);
  return out;
}

std::vector<json> E2eEnv::events_for(const std::string& ns, const std::string& name) {
  std::vector<json> out;
  const json list = admin_->list(kube::kEvents, ns);
  for (const auto& event : list.at("items"))
    if (str_at(event, "/involvedObject/name") == name) out.push_back(event);
  return out;
}

bool E2eEnv::has_event(const std::string& ns, const std::string& name, const std::string& reason) {
  const auto events = events_for(ns, name);
  return std::any_of(events.begin(), events.end(),
                     [&](const json& e) { return e.value("reason", "") == reason; });
}

json E2eEnv::wait_bound(const std::string& ns, const std::string& name,
                        std::chrono::milliseconds timeout) {
  json claim;
  if (!wait_until(
          [&] {
            claim = get_claim(ns, name);
            return str_at(claim, "/status/phase") == "Bound";
          },
          timeout))
    throw std::runtime_error("claim " + ns + "/" + name + " not Bound; phase '" +
                             str_at(claim, "/status/phase") + "'");
  return claim;
}

std::vector<std::string> entries(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().filename() != nfs::kReservedDirectory)
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> records_left(const std::filesystem::path& export_dir) {
  const auto records = export_dir / nfs::kReservedDirectory / "volumes";
  return std::filesystem::exists(records) ? entries(records) : std::vector<std::string>{};
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string str_at(const json& object, const std::string& pointer) {
  const json::json_pointer ptr(pointer);
  if (!object.contains(ptr)) return {};
  const auto& v = object.at(ptr);
  return v.is_string() ? v.get<std::string>() : std::string{};
}

}  // namespace nfsprov::e2e
