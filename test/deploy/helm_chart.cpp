#include "test/deploy/helm_chart.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "test/deploy/manifests.h"
#include "test/support/child_process.h"

namespace nfsprov::deploytest {

using testing::run_command;

std::filesystem::path chart_dir() {
  return deploy_dir() / "helm" / "nfs-provisioner";
}

std::filesystem::path helm_test_file(const std::string& name) {
  return std::filesystem::path(NP_SOURCE_DIR) / "test" / "deploy" / "helm" / name;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Helm::Helm(std::filesystem::path home, std::filesystem::path kubeconfig)
    : home_(std::move(home)), kubeconfig_(std::move(kubeconfig)) {
  if (!std::filesystem::exists(NP_HELM))
    throw std::runtime_error(std::string("no helm at ") + NP_HELM +
                             ": run scripts/install-deps (scripts/get-helm)");
  std::filesystem::create_directories(home_);
}

std::string Helm::command(const std::string& args) const {
  const auto dir = [&](const char* d) { return shell_quote((home_ / d).string()) + " "; };
  // No kubeconfig: an empty file, so that a developer's ~/.kube/config is never reached.
  const auto kubeconfig = kubeconfig_.empty() ? home_ / "no-cluster.kubeconfig" : kubeconfig_;
  if (kubeconfig_.empty() && !std::filesystem::exists(kubeconfig)) std::ofstream{kubeconfig};
  return "HELM_CONFIG_HOME=" + dir("config") + "HELM_CACHE_HOME=" + dir("cache") +
         "HELM_DATA_HOME=" + dir("data") + "KUBECONFIG=" + shell_quote(kubeconfig.string()) + " " +
         shell_quote(NP_HELM) + " " + args;
}

int Helm::run(const std::string& args, std::string* out) const {
  return run_command(command(args), out);
}

std::string Helm::ok(const std::string& args) const {
  const auto errors = home_ / "stderr.txt";
  std::string out;
  // stderr apart: Helm's warnings must not end up in the YAML a caller parses.
  if (run_command("{ " + command(args) + " 2>" + shell_quote(errors.string()) + "; }", &out) != 0) {
    std::ifstream in(errors);
    std::stringstream text;
    text << in.rdbuf();
    throw std::runtime_error("helm " + args + " failed:\n" + out + text.str());
  }
  return out;
}

std::vector<YAML::Node> Helm::render(const std::string& release, const std::string& ns,
                                     const std::string& args) const {
  std::vector<YAML::Node> docs;
  for (const auto& text : split_documents(ok("template " + shell_quote(release) + " " +
                                             shell_quote(chart_dir().string()) + " -n " +
                                             shell_quote(ns) + " " + args)))
    docs.push_back(YAML::Load(text));
  return docs;
}

}  // namespace nfsprov::deploytest
