// OrphanSweeper: what a crash between a directory's mkdir and its PV's create leaves behind
// once the claim is deleted before the restart: a directory with no PV and no claim. The
// leader sweeps the volume records (nfs/volume_records.h) of every export of ours once its
// caches are synced: a record whose PV exists is dropped; one whose claim exists is left to
// that claim's retry; for the others the directory is removed when empty (it never held a
// pod's data) or archived when something is in it, unless another PV uses it. Each cleanup is
// logged and counted (nfs_provisioner_orphaned_directories_total).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "nfs/values/export_address.h"
#include "provisioner/controller/work_context.h"
#include "provisioner/core/export_audit.h"

namespace nfsprov::controller {

class OrphanSweeper {
 public:
  explicit OrphanSweeper(WorkContext context);

  // The PVs and claims that exist (what the archive expiry and audit read too).
  using Live = core::LiveNames;
  // live is read after the records were listed. Never throws: an export that does not answer
  // is logged and skipped. False when one was skipped (the controller sweeps again soon,
  // not only at the next resync).
  bool sweep(const std::vector<nfs::ExportAddress>& exports, const std::function<Live()>& live);

 private:
  void sweep_export(const nfs::ExportAddress& address, const std::function<Live()>& live);

  WorkContext ctx_;
};

}  // namespace nfsprov::controller
