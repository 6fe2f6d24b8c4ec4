// deploy/ as kubectl renders it: `kubectl kustomize` output parsed into YAML documents, and
// the lookups the deploy tests share.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace nfsprov::deploytest {

// The deploy/ folder of this source tree.
std::filesystem::path deploy_dir();

// A multi-document YAML stream cut at its "---" lines, documents with no object left out.
std::vector<std::string> split_documents(const std::string& text);

// `kubectl kustomize <dir>`; throws std::runtime_error with kubectl's output when it fails.
std::vector<YAML::Node> render(const std::filesystem::path& dir);
// The same documents as kubectl printed them, one string each: what to send back to an API
// server (yaml-cpp re-emits "true" unquoted, which a string field then refuses).
std::vector<std::string> render_text(const std::filesystem::path& dir);

// The one document of this kind (and name, when given); throws when there is not exactly one.
YAML::Node only(const std::vector<YAML::Node>& docs, const std::string& kind,
                const std::string& name = "");

// The value of a container's env var (value: only); "" when absent.
std::string env_value(const YAML::Node& container, const std::string& name);

}  // namespace nfsprov::deploytest
