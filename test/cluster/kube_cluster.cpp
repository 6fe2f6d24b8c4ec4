#include "test/cluster/kube_cluster.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "test/support/child_process.h"

namespace nfsprov::testing {
namespace {

std::string script() {
  return (KubeCluster::source_dir() / "test/cluster/cluster.sh").string();
}

std::string cluster_env() {
  return "CLUSTER_BIN=" + shell_quote(NP_CLUSTER_BIN) + " ";
}

}  // namespace

std::filesystem::path KubeCluster::kubectl_path() {
  return std::filesystem::path(NP_CLUSTER_BIN) / "kubectl";
}

std::filesystem::path KubeCluster::source_dir() {
  return NP_SOURCE_DIR;
}

KubeCluster::KubeCluster() {
  std::string out;
  if (run_command(cluster_env() + shell_quote(script()) + " start " + shell_quote(dir().string()),
                  &out) != 0) {
    throw std::runtime_error("the test cluster did not start:\n" + out);
  }
  std::ifstream ports(dir() / "ports");
  for (std::string line; std::getline(ports, line);) {
    if (line.rfind("apiserver=", 0) == 0) api_port_ = std::stoi(line.substr(10));
  }
  if (api_port_ == 0) throw std::runtime_error("cluster.sh wrote no apiserver port");
}

KubeCluster::~KubeCluster() {
  run_command(cluster_env() + shell_quote(script()) + " stop " + shell_quote(dir().string()));
  // dir() goes with the members.
}

int KubeCluster::kubectl(const std::string& args, std::string* out,
                         const std::string& stdin_text) const {
  std::string command = shell_quote(kubectl_path().string()) + " --kubeconfig " +
                        shell_quote(admin_kubeconfig().string()) + " " + args;
  if (!stdin_text.empty()) {
    const auto input = dir() / ("stdin-" + std::to_string(++inputs_) + ".yaml");
    std::ofstream(input) << stdin_text;
    command += " < " + shell_quote(input.string());
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
  const auto path = dir() / ("sa-" + ns + "-" + name + ".kubeconfig");
  std::string out;
  if (run_command(cluster_env() + shell_quote(script()) + " token-kubeconfig " +
                      shell_quote(dir().string()) + " " + shell_quote(ns) + " " +
                      shell_quote(name) + " " + shell_quote(path.string()),
                  &out) != 0)
    throw std::runtime_error("no kubeconfig for serviceaccount " + ns + "/" + name + ":\n" + out);
  return path;
}

std::filesystem::path KubeCluster::install_provisioner_rbac() const {
  const auto deploy = source_dir() / "deploy";
  kubectl_ok("apply -f " + shell_quote((deploy / "namespace.yaml").string()) + " -f " +
             shell_quote((deploy / "rbac.yaml").string()));
  return service_account_kubeconfig("nfs-provisioner", "nfs-provisioner");
}

}  // namespace nfsprov::testing
