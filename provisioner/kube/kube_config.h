// Where the API server is and how to authenticate: from a kubeconfig (yaml-cpp) or from the
// in-cluster service account. A malformed or incomplete kubeconfig throws ConfigError with
// one line naming the field.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace nfsprov::kube {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KubeConfig {
  std::string server;  // "https://127.0.0.1:6443"
  std::string ca_pem;  // PEM of the CA to verify the server with ("" = system)
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;       // client-certificate(-data)
  std::string client_key_pem;        // client-key(-data)
  std::string token;                 // a static token
  std::filesystem::path token_file;  // re-read when it changes (projected SA tokens expire)
  std::string namespace_;            // the context's / pod's namespace ("default" if none)
};

// Order: --kubeconfig flag (non-empty; one file), $KUBECONFIG (a list, as kubectl reads it),
// in-cluster, ~/.kube/config.
KubeConfig resolve_kube_config(const std::optional<std::string>& kubeconfig_flag);
KubeConfig load_kubeconfig_file(const std::filesystem::path& path);
// A $KUBECONFIG value, "a:b", merged as kubectl merges it: empty entries and missing files
// are skipped; the first file that sets current-context wins; the first file that defines a
// cluster, user or context of a name gives the whole entry. Relative paths in an entry
// resolve against its own file's directory.
KubeConfig load_kubeconfig_list(const std::string& list);
KubeConfig load_kubeconfig_string(const std::string& yaml, const std::filesystem::path& base_dir);
// Uses KUBERNETES_SERVICE_HOST/_PORT and the service-account directory (overridable for tests).
KubeConfig load_in_cluster(
    const std::filesystem::path& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

}  // namespace nfsprov::kube
