// Helpers shared by the kube client tests: kubeconfigs written for a test API server, claim
// objects. Temporary directories and kubeconfigs themselves are test/support's.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "test/apiserver/test_apiserver.h"
#include "test/support/kubeconfig.h"
#include "test/support/temp_dir.h"

namespace nfsprov::kube::testing {

using nfsprov::testing::TempDir;

// A kubeconfig for `server` with one user field (e.g. "token: x" or "tokenFile: t") and
// cluster CA file; written into dir, returned path.
std::filesystem::path write_kubeconfig(const TempDir& dir, const std::string& server,
                                       const std::filesystem::path& ca_file,
                                       const std::string& user_field);

nlohmann::json claim(const std::string& ns, const std::string& name);

}  // namespace nfsprov::kube::testing
