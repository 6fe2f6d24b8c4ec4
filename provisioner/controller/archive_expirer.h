// ArchiveExpirer: the leader's archive retention (class parameter archiveRetention). For each
// export of ours with a retention (core::export_retention: the most patient class on it), the
// archives of ours older than it (core::classify_export judges what is ours and how old it
// is) are removed, each logged, counted (nfs_provisioner_archives_expired_total) and, when
// the PV it was archived for still exists, told on that PV as an ArchiveExpired Event.
// Nothing that is not an archive of ours is ever removed.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nfs/values/export_address.h"
#include "provisioner/controller/work_context.h"
#include "provisioner/core/export_audit.h"

namespace nfsprov::controller {

struct ExportRetention {
  nfs::ExportAddress address;
  std::chrono::seconds retention;
};

class ArchiveExpirer {
 public:
  explicit ArchiveExpirer(WorkContext context);

  // pv_items: a JSON array of every PV that may be ours or hold an NFS directory (the cache's
  // whole ones); live: the names of every PV and claimed volume (no archive of theirs is an
  // orphan's). Never throws: an export that does not answer is logged and skipped (the next
  // pass tries again).
  void expire(const std::vector<ExportRetention>& exports, const nlohmann::json& pv_items,
              const core::LiveNames& live);

 private:
  void expire_export(const ExportRetention& target, const nlohmann::json& pv_items,
                     const core::LiveNames& live);

  WorkContext ctx_;
};

}  // namespace nfsprov::controller
