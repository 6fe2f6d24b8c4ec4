// copy_tree: one directory tree of an export into a directory of the same or another export,
// entirely by file handle (ExportClient's Node): what cloning a volume does. Symlinks are
// copied as links and never followed, so nothing a pod plants in the source can make the copy
// read outside it; hard links become separate copies; sockets, FIFOs and devices are skipped
// and counted.
//
// Restartable: the target may hold what an earlier, interrupted copy left. A regular file whose
// size and modification time already match the source's is kept (the time is set only once its
// content is complete); everything else is written again, and what the source no longer has is
// removed. Memory is one chunk of file data (ExportClient::transfer_size) plus one directory
// listing per level of the tree being walked.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/export_client.h"

namespace nfsprov::nfs {

struct CopyProgress {
  std::uint64_t directories = 0;
  std::uint64_t files = 0;  // regular files written
  std::uint64_t symlinks = 0;
  std::uint64_t bytes = 0;       // of file content written
  std::uint64_t kept_files = 0;  // complete already, from an earlier try
  std::uint64_t kept_bytes = 0;
  std::uint64_t skipped = 0;               // sockets, FIFOs, devices
  std::vector<std::string> skipped_paths;  // the first kMaxSkippedPaths of them, for a message
  // False once the target refused an owner (a root_squash export): the copy's files are then
  // owned by whoever the server makes them.
  bool owners_kept = true;
};

inline constexpr std::size_t kMaxSkippedPaths = 10;

struct CopyHooks {
  // Asked before every file, directory and chunk: true stops the copy with ECANCELED.
  std::function<bool()> cancelled;
  // Told after every chunk and entry (cheap: the caller rate-limits what it reports).
  std::function<void(const CopyProgress&)> progress;
};

// Copies the content of source_dir on source into target_dir on target (an existing
// directory), then gives target_dir the mode, owner and times of source_dir. source and target
// may be the same client. Throws NfsError (ENOTDIR when either is not a directory, ECANCELED
// when cancelled, the server's errors otherwise) and PathError.
CopyProgress copy_tree(ExportClient& source, std::string_view source_dir, ExportClient& target,
                       std::string_view target_dir, const CopyHooks& hooks = {});

}  // namespace nfsprov::nfs
