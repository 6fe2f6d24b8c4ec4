// `nfs-provisioner release-finalizers`: takes our finalizer off the PVs we provisioned, for a
// rollback to nfs-subdir (whose library does not know the finalizer) or an uninstall. Without
// it a deleted PV of ours waits on a finalizer nobody removes any more: Terminating forever.
// Only the API is touched, never NFS: the directories stay as they are.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "provisioner/kube/api_client.h"

namespace nfsprov::ops {

struct ReleaseOptions {
  std::string provisioner_name;  // PVs whose pv.kubernetes.io/provisioned-by is this
  // Also PVs not being deleted (an uninstall: later deletions must not hang). Else only
  // those with a deletionTimestamp: the ones stuck Terminating.
  bool all = false;
  bool dry_run = false;  // report what would be released, change nothing
};

struct ReleaseSummary {
  std::size_t released = 0;  // or, in a dry run, that would be
  std::size_t failed = 0;
  bool ok() const { return failed == 0; }
};

// Lists the PVs and releases each one that qualifies, writing to out one line per PV,
//   released <pv> (<phase>, <deleting|kept>)      ("would release ..." in a dry run)
//   cannot release <pv>: <why>
// then one total line. Each removal is a PUT carrying the listed resourceVersion, so a PV
// changed meanwhile is never overwritten: after a conflict it is read again and tried once
// more. A PV that vanished, or lost our finalizer meanwhile, needs nothing and is not listed.
// Throws kube::ApiError when the PVs cannot be listed; a failure on one PV is its line.
ReleaseSummary release_finalizers(kube::ApiClient& api, const ReleaseOptions& options,
                                  std::ostream& out);

}  // namespace nfsprov::ops
