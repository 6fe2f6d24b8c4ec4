// load_kubeconfig_string: malformed YAML, wrong types, missing fields: a clear exception,
// never a crash. File references resolve against a directory that does not exist.
#include <cstdint>
#include <exception>
#include <string>

#include "provisioner/kube/kube_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    nfsprov::kube::load_kubeconfig_string(text, "/nonexistent-fuzz-base");
  } catch (const std::exception&) {
  }
  return 0;
}
