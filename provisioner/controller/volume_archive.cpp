#include "provisioner/controller/volume_archive.h"

#include <chrono>

#include "provisioner/core/deletion_planner.h"

namespace nfsprov::controller {

std::string archive_directory(nfs::ExportFiles& client, const std::string& directory,
                              const std::string& archive) {
  std::string target = archive;
  if (client.exists(target))
    target = core::timestamped_archive_directory(archive, std::chrono::system_clock::now());
  client.rename(directory, target);
  return target;
}

}  // namespace nfsprov::controller
