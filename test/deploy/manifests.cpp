#include "test/deploy/manifests.h"

#include <stdexcept>

#include "test/deploy/child_process.h"

namespace nfsprov::deploytest {

std::filesystem::path deploy_dir() {
  return std::filesystem::path(NP_SOURCE_DIR) / "deploy";
}

std::vector<YAML::Node> render(const std::filesystem::path& dir) {
  std::string out;
  if (run_command("/usr/bin/kubectl kustomize '" + dir.string() + "'", &out) != 0)
    throw std::runtime_error("kubectl kustomize " + dir.string() + " failed:\n" + out);
  return YAML::LoadAll(out);
}

YAML::Node only(const std::vector<YAML::Node>& docs, const std::string& kind,
                const std::string& name) {
  std::vector<YAML::Node> found;
  for (const auto& d : docs)
    if (d["kind"].as<std::string>("") == kind &&
        (name.empty() || d["metadata"]["name"].as<std::string>("") == name))
      found.push_back(d);
  if (found.size() != 1)
    throw std::runtime_error("expected one " + kind + " " + name + ", found " +
                             std::to_string(found.size()));
  return found.front();
}

std::string env_value(const YAML::Node& container, const std::string& name) {
  for (const auto& e : container["env"])
    if (e["name"].as<std::string>("") == name) return e["value"].as<std::string>("");
  return "";
}

}  // namespace nfsprov::deploytest
