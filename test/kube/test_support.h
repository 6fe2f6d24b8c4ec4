// Helpers shared by the kube client tests: temp dirs, kubeconfigs written for a test API
// server, claim objects.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "test/apiserver/test_apiserver.h"

namespace nfsprov::kube::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path write(const std::string& name, const std::string& text) const;
};

// A kubeconfig for `server` with the given user fields (e.g. "token: x" or "tokenFile: t")
// and cluster CA file; written into dir, returned path.
std::filesystem::path write_kubeconfig(const TempDir& dir, const std::string& server,
                                       const std::filesystem::path& ca_file,
                                       const std::string& user_fields);

nlohmann::json claim(const std::string& ns, const std::string& name);

}  // namespace nfsprov::kube::testing
