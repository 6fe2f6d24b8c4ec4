#include "test/cluster/kube_cluster.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "test/support/child_process.h"

namespace nfsprov::testing {
namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string script() {
  return (KubeCluster::source_dir() / "test/cluster/cluster.sh").string();
}

std::string cluster_env() {
  return "CLUSTER_BIN=" + quote(NP_CLUSTER_BIN) + " ";
}

}  // namespace

std::filesystem::path KubeCluster::kubectl_path() {
  return std::filesystem::path(NP_CLUSTER_BIN) / "kubectl";
}

std::filesystem::path KubeCluster::source_dir() {
  return NP_SOURCE_DIR;
}

KubeCluster::KubeCluster() {
  std::string pattern = (std::filesystem::temp_directory_path() / "np-cluster.XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  dir_ = pattern;
  std::string out;
  if (run_command(cluster_env() + quote(script()) + " start " + quote(dir_.string()), &out) != 0) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw std::runtime_error("the test cluster did not start:\n" + out);
  }
  std::ifstream ports(dir_ / "ports");
  for (std::string line; std::getline(ports, line);) {
    if (line.rfind("apiserver=", 0) == 0) api_port_ = std::stoi(line.substr(10));
  }
  if (api_port_ == 0) throw std::runtime_error("cluster.sh wrote no apiserver port");
}

KubeCluster::~KubeCluster() {
  run_command(cluster_env() + quote(script()) + " stop " + quote(dir_.string()));
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

int KubeCluster::kubectl(const std::string& args, std::string* out,
                         const std::string& stdin_text) const {
  std::string command = quote(kubectl_path().string()) + " --kubeconfig " +
                        quote(admin_kubeconfig().string()) + " " + args;
  if (!stdin_text.empty()) {
    const auto input = dir_ / ("stdin-" + std::to_string(++inputs_) + ".yaml");
    std::ofstream(input) << stdin_text;
    command += " < " + quote(input.string());
  }
  return run_command(command, out);
}

std::string KubeCluster::kubectl_ok(const std::string& args, const std::string& stdin_text) const {
  std::string out;
  if (kubectl(args, &out, stdin_text) != 0)
    throw std::runtime_error("kubectl " + args + " failed:\n" + out);
  return out;
}

std::filesystem::path KubeCluster::service_account_kubeconfig(const std::string& ns,
                                                              const std::string& name) const {
  const auto path = dir_ / ("sa-" + ns + "-" + name + ".kubeconfig");
  std::string out;
  if (run_command(cluster_env() + quote(script()) + " token-kubeconfig " + quote(dir_.string()) +
                      " " + quote(ns) + " " + quote(name) + " " + quote(path.string()),
                  &out) != 0)
    throw std::runtime_error("no kubeconfig for serviceaccount " + ns + "/" + name + ":\n" + out);
  return path;
}

std::filesystem::path KubeCluster::install_provisioner_rbac() const {
  const auto deploy = source_dir() / "deploy";
  kubectl_ok("apply -f " + quote((deploy / "namespace.yaml").string()) + " -f " +
             quote((deploy / "rbac.yaml").string()));
  return service_account_kubeconfig("nfs-provisioner", "nfs-provisioner");
}

}  // namespace nfsprov::testing
