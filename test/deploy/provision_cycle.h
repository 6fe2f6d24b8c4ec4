// The steps a deploy check takes with a running provisioner: the install's namespace and
// class created with kubectl, the provisioner started the way deploy/deployment.yaml runs
// it (its env, leader election on) against a test API server and nfs-ganesha, and a claim
// followed until it is Bound. Shared by the RBAC check and the ARM smoke test.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "nfs/values/export_address.h"
#include "test/cluster/kube_cluster.h"
#include "test/support/child_process.h"
#include "test/support/eventually.h"

namespace nfsprov::deploytest {

using testing::ChildProcess;
using testing::run_command;

// Applies the rendered install with kubectl, as a user would, but for the Deployment (the test
// starts its process itself): Namespace, ServiceAccount, RBAC and StorageClass. Returns the
// whole rendered install.
std::vector<YAML::Node> install_without_deployment(const testing::KubeCluster& cluster);

// Starts command (the binary, or an emulator and its arguments then the binary) with the
// Deployment's PROVISIONER_NAME, its namespace as POD_NAMESPACE, leader election on, the
// ServiceAccount's kubeconfig, and the export given as NFS_SERVER/NFS_PATH plus its ports.
std::unique_ptr<ChildProcess> start_provisioner(const std::vector<std::string>& command,
                                                const std::vector<YAML::Node>& install,
                                                const std::filesystem::path& kubeconfig,
                                                const nfs::ExportAddress& address,
                                                const std::filesystem::path& log);

// The kubeconfig of the Deployment's ServiceAccount (a TokenRequest token).
std::filesystem::path service_account_kubeconfig(const testing::KubeCluster& cluster,
                                                 const std::vector<YAML::Node>& install);

// Creates deploy/examples/test-claim.yaml in namespace ns (creating ns) and waits until it
// is Bound; returns its PV name, "" when it did not bind within the limit.
std::string provision_test_claim(const testing::KubeCluster& cluster, const std::string& ns,
                                 std::chrono::seconds limit);

// test/support's eventually, polling every 200 ms (each look runs kubectl): true once f() is,
// false after the limit. Bounds a wait, asserts no timing.
[[nodiscard]] inline bool eventually(const std::function<bool()>& f, std::chrono::seconds limit) {
  return testing::eventually(f, limit, std::chrono::milliseconds(200));
}

// `kubectl get <what>` output, "" when kubectl fails.
std::string kubectl_get(const testing::KubeCluster& cluster, const std::string& what);

}  // namespace nfsprov::deploytest
