#include "test/deploy/manifests.h"

#include <sstream>
#include <stdexcept>

#include "test/support/child_process.h"

namespace nfsprov::deploytest {

using testing::run_command;

std::filesystem::path deploy_dir() {
  return std::filesystem::path(NP_SOURCE_DIR) / "deploy";
}

std::vector<std::string> split_documents(const std::string& text) {
  std::vector<std::string> docs{""};
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line == "---") {
      docs.emplace_back();
    } else {
      docs.back() += line + "\n";
    }
  }
  // A document of comments only (helm's "# Source:" line of a template that rendered
  // nothing) is no object.
  std::erase_if(docs, [](const std::string& d) { return YAML::Load(d).IsNull(); });
  return docs;
}

std::vector<std::string> render_text(const std::filesystem::path& dir) {
  std::string out;
  if (run_command(std::string(NP_KUBECTL) + " kustomize '" + dir.string() + "'", &out) != 0)
    throw std::runtime_error("kubectl kustomize " + dir.string() + " failed:\n" + out);
  return split_documents(out);
}

std::vector<YAML::Node> render(const std::filesystem::path& dir) {
  std::vector<YAML::Node> docs;
  for (const auto& text : render_text(dir)) docs.push_back(YAML::Load(text));
  return docs;
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
