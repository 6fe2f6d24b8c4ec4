// KubeCluster: a real Kubernetes control plane for one test, on 127.0.0.1 — etcd,
// kube-apiserver (RBAC, default admission, audit log), kube-controller-manager,
// kube-scheduler and KWOK's simulated nodes raspi002 and raspi003 — started by
// test/cluster/cluster.sh from the binaries test/cluster/build.sh made, and stopped (every
// process by its pid) when the object goes away, pass or fail.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "test/support/temp_dir.h"

namespace nfsprov::testing {

class KubeCluster {
 public:
  // Starts the cluster and waits until the API answers, the controllers run and both nodes
  // are Ready. Throws std::runtime_error with the failing component's log lines.
  KubeCluster();
  ~KubeCluster();
  KubeCluster(const KubeCluster&) = delete;
  KubeCluster& operator=(const KubeCluster&) = delete;

  // cluster-admin, with a client certificate (like kubeadm's admin.conf).
  std::filesystem::path admin_kubeconfig() const { return dir() / "admin.kubeconfig"; }
  // One JSON object per line, level Metadata, every request.
  std::filesystem::path audit_log() const { return dir() / "logs" / "audit.log"; }
  std::filesystem::path dir() const { return dir_.path(); }
  int api_port() const { return api_port_; }
  std::string server_url() const { return "https://127.0.0.1:" + std::to_string(api_port_); }

  // The kubectl built with the control plane, as cluster-admin: `kubectl <args>`, with
  // stdin_text on its standard input. Returns the exit code; stdout and stderr into *out.
  int kubectl(const std::string& args, std::string* out = nullptr,
              const std::string& stdin_text = "") const;
  // Like kubectl(), but throws with the output when kubectl fails; returns stdout+stderr.
  std::string kubectl_ok(const std::string& args, const std::string& stdin_text = "") const;

  // A kubeconfig (written under dir()) for ServiceAccount ns/name, with a token from the
  // TokenRequest API, as a pod's projected token would be.
  std::filesystem::path service_account_kubeconfig(const std::string& ns,
                                                   const std::string& name) const;

  // The real install of the provisioner's RBAC: deploy/namespace.yaml and deploy/rbac.yaml
  // applied with kubectl, then the kubeconfig of its ServiceAccount nfs-provisioner.
  std::filesystem::path install_provisioner_rbac() const;

  // Path of the build's kubectl (for tests that run it themselves).
  static std::filesystem::path kubectl_path();
  static std::filesystem::path source_dir();

 private:
  TempDir dir_{"np-cluster"};  // removed after the destructor stopped the cluster
  int api_port_ = 0;
  mutable std::atomic<int> inputs_{0};  // names kubectl's stdin files
};

}  // namespace nfsprov::testing
