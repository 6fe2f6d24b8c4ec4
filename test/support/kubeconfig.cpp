#include "test/support/kubeconfig.h"

namespace nfsprov::testing {

std::string Kubeconfig::text() const {
  std::string out =
      "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server +
      "\n";
  for (const auto& field : cluster) out += "    " + field + "\n";
  out += "users:\n- name: u\n  user:\n";
  for (const auto& field : user) out += "    " + field + "\n";
  out += "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n";
  if (!namespace_name.empty()) out += "    namespace: " + namespace_name + "\n";
  return out + "current-context: x\n";
}

std::filesystem::path write_kubeconfig(const TempDir& dir, const Kubeconfig& config,
                                       const std::string& name) {
  return dir.write(name, config.text());
}

}  // namespace nfsprov::testing
