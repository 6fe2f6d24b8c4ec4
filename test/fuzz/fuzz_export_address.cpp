// An address the checks accept never turns part of a server or share into a libnfs option.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "nfs/values/export_address.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto split = text.find('\n');
  nfsprov::nfs::ExportAddress address;
  address.server = text.substr(0, split);
  address.export_path = split == std::string::npos ? "/" : text.substr(split + 1);
  if (!address.problem().empty()) return 0;
  const std::string url = address.url();
  const std::string authority_and_path = "nfs://" + address.server + address.export_path;
  // The options start where we put them, and only there.
  if (url.compare(0, authority_and_path.size(), authority_and_path) != 0) std::abort();
  if (url.compare(authority_and_path.size(), 10, "?version=3") != 0) std::abort();
  if (authority_and_path.find_first_of("?&#%") != std::string::npos) std::abort();
  return 0;
}
