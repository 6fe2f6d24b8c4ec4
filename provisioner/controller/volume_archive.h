// Moving a volume's directory aside as an archive, for the reclaimer (archiveOnDelete) and the
// orphan sweeper (a crash's leftover with something in it).
#pragma once

#include <string>

#include "nfs/export_files.h"

namespace nfsprov::controller {

// Renames directory to archive (core::archive_directory_for), or, when an earlier archive has
// that name (a recreated claim with a pathPattern name), to its timestamped variant: an
// archive is never overwritten. Returns the name used; throws NfsError as rename does.
std::string archive_directory(nfs::ExportFiles& client, const std::string& directory,
                              const std::string& archive);

}  // namespace nfsprov::controller
