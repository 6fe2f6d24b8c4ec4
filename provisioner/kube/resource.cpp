#include "provisioner/kube/resource.h"

namespace nfsprov::kube {

std::string Resource::collection_path(std::string_view ns) const {
  std::string path(prefix);
  if (namespaced && !ns.empty()) {
    path += "/namespaces/";
    path += ns;
  }
  path += '/';
  path += plural;
  return path;
}

std::string Resource::object_path(std::string_view ns, std::string_view name) const {
  std::string path = collection_path(namespaced ? ns : std::string_view{});
  path += '/';
  path += name;
  return path;
}

}  // namespace nfsprov::kube
