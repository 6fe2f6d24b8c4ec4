#include "test/deploy/provision_cycle.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "test/deploy/manifests.h"

namespace nfsprov::deploytest {
namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  if (rc == 0) rc = ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("no free port on 127.0.0.1");
  return ntohs(a.sin_port);
}

}  // namespace

std::vector<YAML::Node> install_without_deployment(const testing::KubeCluster& cluster) {
  std::ostringstream manifest;
  for (const auto& text : render_text(deploy_dir()))
    if (YAML::Load(text)["kind"].as<std::string>() != "Deployment") manifest << "---\n" << text;
  cluster.kubectl_ok("apply -f -", manifest.str());
  return render(deploy_dir());
}

std::filesystem::path service_account_kubeconfig(const testing::KubeCluster& cluster,
                                                 const std::vector<YAML::Node>& install) {
  auto deployment = only(install, "Deployment");
  return cluster.service_account_kubeconfig(
      deployment["metadata"]["namespace"].as<std::string>(),
      deployment["spec"]["template"]["spec"]["serviceAccountName"].as<std::string>());
}

std::unique_ptr<ChildProcess> start_provisioner(const std::vector<std::string>& command,
                                                const std::vector<YAML::Node>& install,
                                                const std::filesystem::path& kubeconfig,
                                                const nfs::ExportAddress& address,
                                                const std::filesystem::path& log) {
  auto deployment = only(install, "Deployment");
  auto container = deployment["spec"]["template"]["spec"]["containers"][0];
  std::vector<std::string> args(command.begin() + 1, command.end());
  for (const auto& a :
       {std::string("--nfs-port"), std::to_string(address.nfs_port), std::string("--mount-port"),
        std::to_string(address.mount_port), std::string("--metrics-address"),
        "127.0.0.1:" + std::to_string(free_port())})
    args.push_back(a);
  return std::make_unique<ChildProcess>(
      command.front(), args,
      std::map<std::string, std::string>{
          {"NFS_SERVER", address.server},
          {"NFS_PATH", address.export_path},
          {"PROVISIONER_NAME", env_value(container, "PROVISIONER_NAME")},
          {"ENABLE_LEADER_ELECTION", env_value(container, "ENABLE_LEADER_ELECTION")},
          {"KUBECONFIG", kubeconfig.string()},
          {"POD_NAME", "nfs-provisioner-0"},
          {"POD_NAMESPACE", deployment["metadata"]["namespace"].as<std::string>()},
          {"PATH", "/usr/bin:/bin"}},
      log);
}

std::string provision_test_claim(const testing::KubeCluster& cluster, const std::string& ns,
                                 std::chrono::seconds limit) {
  std::string out;
  if (cluster.kubectl("get namespace " + ns, &out) != 0)
    cluster.kubectl_ok("create namespace " + ns);
  cluster.kubectl_ok("create -n " + ns + " -f " +
                     (deploy_dir() / "examples" / "test-claim.yaml").string());
  std::string pv;
  bool bound = eventually(
      [&] {
        pv = kubectl_get(cluster, "pvc test-claim -n " + ns + " -o jsonpath={.spec.volumeName}");
        return !pv.empty() && kubectl_get(cluster, "pvc test-claim -n " + ns +
                                                       " -o jsonpath={.status.phase}") == "Bound";
      },
      limit);
  return bound ? pv : std::string{};
}

std::string kubectl_get(const testing::KubeCluster& cluster, const std::string& what) {
  std::string out;
  return cluster.kubectl("get " + what, &out) == 0 ? out : std::string{};
}

}  // namespace nfsprov::deploytest
