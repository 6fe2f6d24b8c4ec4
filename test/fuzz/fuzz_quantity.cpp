// parse_quantity_bytes: any text gives a size or a QuantityError, and a size is the same for
// the canonical spelling of itself.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "provisioner/core/quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto bytes = nfsprov::core::parse_quantity_bytes(text);
    if (nfsprov::core::parse_quantity_bytes(std::to_string(bytes)) != bytes) std::abort();
  } catch (const nfsprov::core::QuantityError&) {
  }
  return 0;
}
