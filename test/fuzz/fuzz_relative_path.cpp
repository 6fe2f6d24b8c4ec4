// RelativePath::parse: anything it accepts stays inside the export.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nfs/nfs_error.h"
#include "nfs/relative_path.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto path = nfsprov::nfs::RelativePath::parse(text);
    for (const auto& c : path.components())
      if (c.empty() || c == "." || c == ".." || c.find('/') != std::string::npos ||
          c.find('\0') != std::string::npos || c.size() > 255)
        std::abort();
    if (path.components().empty() || path.nfs_path().front() != '/') std::abort();
  } catch (const nfsprov::nfs::PathError&) {
  }
  return 0;
}
