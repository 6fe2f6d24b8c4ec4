// An NFSv3 file handle (opaque bytes from the server, at most 64 of them), what a walk by
// handle (nfs/handle_calls.h, ExportClient's Node) holds on to instead of a path, and the
// attributes a SETATTR on one changes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace nfsprov::nfs {

struct FileHandle {
  std::vector<char> bytes;
};

// Initialised so designated initialisers ({.mode = 0750}) compile warning-free.
struct SetAttributes {
  std::optional<std::uint32_t> mode = std::nullopt;  // permission bits (07777)
  std::optional<std::uint32_t> uid = std::nullopt;
  std::optional<std::uint32_t> gid = std::nullopt;
  // Access and modification times, in ns since the epoch, set as given (the client's time).
  std::optional<std::int64_t> accessed_ns = std::nullopt;
  std::optional<std::int64_t> modified_ns = std::nullopt;
};

// A write verifier: changes when the server restarts, so data written UNSTABLE before a
// COMMIT that reports another one may be lost and must be written again.
using WriteVerifier = std::array<char, 8>;

}  // namespace nfsprov::nfs
