// parse_quantity_bytes: any text gives a size or a Refusal, and a size is the same for the
// canonical spelling of itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "provisioner/core/quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto parsed = nfsprov::core::parse_quantity_bytes(text);
  if (const auto* bytes = std::get_if<std::uint64_t>(&parsed)) {
    const auto again = nfsprov::core::parse_quantity_bytes(std::to_string(*bytes));
    const auto* same = std::get_if<std::uint64_t>(&again);
    if (same == nullptr || *same != *bytes) std::abort();
  }
  return 0;
}
