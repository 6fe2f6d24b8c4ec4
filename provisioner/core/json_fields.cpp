#include "provisioner/core/json_fields.h"

namespace nfsprov::core {

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace nfsprov::core
