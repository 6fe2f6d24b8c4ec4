// volume_directory: whatever a claim's labels and annotations hold, an accepted directory is a
// clean relative path inside the share: no "..", not absolute, no control character, not the
// reserved directory, within the length limits.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "nfs/values/volume_record.h"
#include "provisioner/core/path_pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // "pattern \n annotation value \n label value"
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto a = text.find('\n');
  const auto b = a == std::string::npos ? a : text.find('\n', a + 1);
  const std::string pattern = text.substr(0, a);
  const std::string annotation = a == std::string::npos ? "" : text.substr(a + 1, b - a - 1);
  const std::string label = b == std::string::npos ? "" : text.substr(b + 1);
  nlohmann::json claim = {{"metadata",
                           {{"namespace", "default"},
                            {"name", "data"},
                            {"uid", "0000"},
                            {"annotations", {{"a", annotation}}},
                            {"labels", {{"l", label}}}}}};
  const auto outcome = nfsprov::core::volume_directory(claim, pattern, "pvc-0000");
  const auto* dir = std::get_if<std::string>(&outcome);
  if (!dir) return 0;
  if (dir->empty() || dir->front() == '/' || dir->size() > nfsprov::core::kMaxPathBytes)
    std::abort();
  for (const char c : *dir)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
  std::size_t start = 0;
  while (start <= dir->size()) {
    auto end = dir->find('/', start);
    if (end == std::string::npos) end = dir->size();
    const std::string part = dir->substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.size() > 255) std::abort();
    if (start == 0 && part == nfsprov::nfs::kReservedDirectory) std::abort();
    start = end + 1;
  }
  return 0;
}
