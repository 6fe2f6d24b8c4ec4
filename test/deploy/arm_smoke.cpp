// deploy-arm-smoke: the provisioner built for another architecture, run under qemu on this
// machine, provisions one claim on a real Kubernetes control plane (test/cluster): one
// directory on nfs-ganesha and one Bound PV.
// scripts/ci-arm runs it; it is not a CTest test because it needs a cross build.
//   deploy-arm-smoke qemu-aarch64-static -L /usr/aarch64-linux-gnu build-arm64/.../nfs-provisioner

#include <filesystem>
#include <iostream>

#include "test/deploy/provision_cycle.h"
#include "test/nfs_server/ganesha_server.h"
#include "test/support/temp_dir.h"

using namespace nfsprov::deploytest;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: deploy-arm-smoke [emulator args...] <nfs-provisioner>\n";
    return 2;
  }
  std::vector<std::string> command(argv + 1, argv + argc);
  const nfsprov::testing::TempDir scratch("np-deploy-smoke");
  const auto& work = scratch.path();
  int rc = 1;
  try {
    nfsprov::testing::GaneshaServer nfs;
    nfsprov::testing::KubeCluster cluster;
    auto install = install_without_deployment(cluster);
    auto provisioner =
        start_provisioner(command, install, service_account_kubeconfig(cluster, install),
                          nfs.address(), work / "provisioner.log");
    // qemu makes start-up slower than native: a generous bound, not a measurement.
    auto pv = provision_test_claim(cluster, "smoke", std::chrono::seconds(120));
    auto directory = nfs.export_dir() / ("smoke-test-claim-" + pv);
    if (pv.empty()) {
      std::cerr << "deploy-arm-smoke: the claim was not bound\n";
    } else if (!std::filesystem::is_directory(directory)) {
      std::cerr << "deploy-arm-smoke: PV " << pv << " is Bound but " << directory
                << " is missing\n";
    } else {
      std::cout << "deploy-arm-smoke: claim Bound to " << pv << ", directory "
                << directory.filename().string() << " created\n";
      rc = 0;
    }
    int exit_status = provisioner->stop(std::chrono::seconds(10));
    if (rc != 0 || exit_status != 0)
      std::cerr << "provisioner (exit " << exit_status << ") log:\n"
                << provisioner->log_text() << "\n";
    if (exit_status != 0) rc = 1;
  } catch (const std::exception& e) {
    std::cerr << "deploy-arm-smoke: " << e.what() << "\n";
    rc = 1;
  }
  return rc;
}
