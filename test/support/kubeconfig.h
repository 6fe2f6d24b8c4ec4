// A kubeconfig of one cluster "c", one user "u" and one context "x" (the current one), as the
// tests need them for a test API server, a real control plane or one that is not there.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "test/support/temp_dir.h"

namespace nfsprov::testing {

// Fields left out of a designated initializer are empty (each has its own initializer).
struct Kubeconfig {
  std::string server = {};                // https://host:port
  std::vector<std::string> cluster = {};  // beside server: "certificate-authority: /ca.crt", ...
  std::vector<std::string> user = {};     // "token: abc", "tokenFile: /token", ...
  std::string namespace_name = {};        // the context's namespace; empty: none

  std::string text() const;
};

// Writes config as dir/name and returns its path.
std::filesystem::path write_kubeconfig(const TempDir& dir, const Kubeconfig& config,
                                       const std::string& name = "kubeconfig");

}  // namespace nfsprov::testing
