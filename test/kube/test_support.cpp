#include "test/kube/test_support.h"

#include "test/support/objects.h"

namespace nfsprov::kube::testing {

std::filesystem::path write_kubeconfig(const TempDir& dir, const std::string& server,
                                       const std::filesystem::path& ca_file,
                                       const std::string& user_field) {
  return nfsprov::testing::write_kubeconfig(
      dir, {.server = server,
            .cluster = {"certificate-authority: " + ca_file.string()},
            .user = {user_field}});
}

nlohmann::json claim(const std::string& ns, const std::string& name) {
  return nfsprov::testing::claim_object(ns, name, "", "1Mi");
}

}  // namespace nfsprov::kube::testing
