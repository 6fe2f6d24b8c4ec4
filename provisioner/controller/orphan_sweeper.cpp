#include "provisioner/controller/orphan_sweeper.h"

#include "nfs/volume_records.h"
#include "provisioner/controller/volume_archive.h"
#include "provisioner/core/deletion_planner.h"
#include "provisioner/core/path_pattern.h"

namespace nfsprov::controller {

OrphanSweeper::OrphanSweeper(WorkContext context) : ctx_(std::move(context)) {}

bool OrphanSweeper::sweep(const std::vector<nfs::ExportAddress>& exports,
                          const std::function<Live()>& live_volumes) {
  bool swept = true;
  for (const auto& address : exports) {
    if (!ctx_.may_act()) return true;  // not ours to sweep any more
    try {
      sweep_export(address, live_volumes);
    } catch (const std::exception& e) {
      ctx_.logger.warn("cannot sweep orphaned directories",
                       {{"export", address.display()}, {"error", e.what()}});
      swept = false;
    }
  }
  return swept;
}

void OrphanSweeper::sweep_export(const nfs::ExportAddress& address,
                                 const std::function<Live()>& live_volumes) {
  ctx_.volumes.with_export(address, ctx_.stop, [&](nfs::ExportFiles& client) {
    const auto records = nfs::list_records(client);
    if (records.empty()) return;
    // Read after the records: a record written since belongs to a claim already cached.
    const auto live = live_volumes();
    for (const auto& record : records) {
      if (!ctx_.may_act()) return;
      if (live.volumes.contains(record.pv_name)) {
        // Its PV exists: the leader that made it stopped before it dropped the record.
        nfs::erase_record(client, record.pv_name);
        continue;
      }
      if (live.claimed.contains(record.pv_name)) continue;  // the claim's retry adopts it
      const std::string full = core::join_export_path(address.export_path, record.directory);
      std::string action = "none";
      if (ctx_.directories.in_use_below(address.server, full, record.pv_name)) {
        action = "kept (another volume uses it)";
      } else if (const auto found = client.stat(record.directory);
                 found && found->type == nfs::FileType::directory) {
        if (client.list(record.directory).empty()) {
          client.remove_tree(record.directory);
          action = "removed";
        } else {
          archive_directory(client, record.directory,
                            core::archive_directory_for(record.directory));
          action = "archived";
        }
      }
      nfs::erase_record(client, record.pv_name);
      if (action == "removed" || action == "archived") {
        ctx_.logger.info("cleaned up orphaned directory",
                         {{"pv", record.pv_name},
                          {"class", record.class_name},
                          {"directory", address.display() + " " + record.directory},
                          {"action", action},
                          {"why", "its claim was deleted before its volume was made"}});
        ctx_.observer.orphan_cleaned(record.class_name, action);
      } else {
        ctx_.logger.info(
            "dropped volume record",
            {{"pv", record.pv_name}, {"directory", record.directory}, {"action", action}});
      }
    }
  });
}

}  // namespace nfsprov::controller
