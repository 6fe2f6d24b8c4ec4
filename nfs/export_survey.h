// What is on an export, read-only: the entries of some of its directories (lstat'ed, so a
// symlink is reported as one and never followed), and the bytes below a directory, walked with
// a budget. For `nfs-provisioner audit` and the leader's archive retention, which decide from
// these what is theirs (provisioner/core/export_audit.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/export_files.h"
#include "nfs/values/survey.h"

namespace nfsprov::nfs {

// The entries of each directory in directories ("" is the share itself), in that order; a
// directory that does not exist, or is not a directory, contributes nothing. An entry removed
// between the listing and its lstat is left out.
std::vector<SurveyEntry> survey_directories(ExportFiles& client,
                                            const std::vector<std::string>& directories);

// The bytes below path, depth first, looking at most max_entries entries (each costs a LOOKUP
// per level and a GETATTR: a huge archive must not become an NFS storm). before_each, when
// given, is asked before each directory listing and entry: it may sleep (to cap the rate of
// NFS calls) and returns false to stop there (complete is then false).
TreeSize tree_size(ExportFiles& client, std::string_view path, std::uint64_t max_entries,
                   const std::function<bool()>& before_each = {});

}  // namespace nfsprov::nfs
