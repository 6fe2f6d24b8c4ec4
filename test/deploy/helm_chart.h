// The chart deploy/helm/nfs-provisioner as the real Helm (scripts/get-helm, NP_HELM) sees it:
// helm run with a home of its own, and `helm template` parsed into YAML documents.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace nfsprov::deploytest {

// deploy/helm/nfs-provisioner of this source tree.
std::filesystem::path chart_dir();
// A file of test/deploy/helm/ (values files written as users write them).
std::filesystem::path helm_test_file(const std::string& name);

class Helm {
 public:
  // Helm's config, cache and data go under home (never the developer's ~/.config/helm); a
  // kubeconfig, when given, is the only cluster it may reach.
  explicit Helm(std::filesystem::path home, std::filesystem::path kubeconfig = {});

  // `helm <args>`: its exit code; stdout and stderr into *out.
  int run(const std::string& args, std::string* out = nullptr) const;
  // Like run(), but throws with the output when helm fails; returns stdout only.
  std::string ok(const std::string& args) const;
  // `helm template <release> <chart> -n <ns> <args>`, parsed; throws when helm fails.
  std::vector<YAML::Node> render(const std::string& release, const std::string& ns,
                                 const std::string& args) const;

 private:
  std::string command(const std::string& args) const;
  std::filesystem::path home_;
  std::filesystem::path kubeconfig_;
};

// Single-quoted for the shell.
std::string shell_quote(const std::string& s);

}  // namespace nfsprov::deploytest
