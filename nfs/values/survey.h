// What a survey of an export finds (nfs/export_survey.h reads them), as plain values: the
// pure core judges them (provisioner/core/export_audit.h) without linking the client.
#pragma once

#include <cstdint>
#include <string>

#include "nfs/values/files.h"

namespace nfsprov::nfs {

struct SurveyEntry {
  std::string path;  // relative to the share: "a/b"
  FileType type = FileType::other;
  std::int64_t changed_ns = 0;  // ctime, server clock (FileInfo::changed_ns)
};

struct TreeSize {
  std::uint64_t bytes = 0;    // sum of the sizes of the regular files found
  std::uint64_t entries = 0;  // entries looked at (files, directories, symlinks)
  bool complete = true;       // false: the budget ran out, bytes is a lower bound
};

}  // namespace nfsprov::nfs
