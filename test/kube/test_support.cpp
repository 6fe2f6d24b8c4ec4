#include "test/kube/test_support.h"

#include <fstream>
#include <random>

namespace nfsprov::kube::testing {

TempDir::TempDir() {
  std::random_device rd;
  path = std::filesystem::temp_directory_path() / ("np-kube-test-" + std::to_string(rd()));
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& text) const {
  auto p = path / name;
  // Write then rename, as the kubelet does, so a reader never sees half a token.
  auto tmp = path / (name + ".tmp");
  std::ofstream(tmp, std::ios::binary | std::ios::trunc) << text;
  std::filesystem::rename(tmp, p);
  return p;
}

std::filesystem::path write_kubeconfig(const TempDir& dir, const std::string& server,
                                       const std::filesystem::path& ca_file,
                                       const std::string& user_fields) {
  return dir.write("kubeconfig",
                   "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
                   "contexts:\n- name: t\n  context:\n    cluster: c\n    user: u\n"
                   "clusters:\n- name: c\n  cluster:\n    server: " +
                       server + "\n    certificate-authority: " + ca_file.string() +
                       "\nusers:\n- name: u\n  user:\n    " + user_fields + "\n");
}

nlohmann::json claim(const std::string& ns, const std::string& name) {
  return {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"spec",
       {{"accessModes", {"ReadWriteMany"}}, {"resources", {{"requests", {{"storage", "1Mi"}}}}}}}};
}

}  // namespace nfsprov::kube::testing
