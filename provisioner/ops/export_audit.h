// `nfs-provisioner audit`, the I/O half: reads the PVs and claims from the API and each export
// through libnfs, has provisioner/core/export_audit.h judge every entry, measures archives, and
// carries out the cleanup asked for (only with confirm; else it is only planned).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nfs/values/export_address.h"
#include "provisioner/core/audit_format.h"
#include "provisioner/kube/api_client.h"

namespace nfsprov::ops {

struct AuditOptions {
  std::string provisioner_name;  // whose volumes are "ours"
  bool archive_orphans = false;
  std::optional<std::chrono::seconds> delete_expired;  // archives older than this go
  bool confirm = false;                                // --yes: do it, else only plan it
  // Entries looked at per archive when measuring it (nfs::tree_size).
  std::uint64_t size_budget = 100000;
};

struct AuditResult {
  std::vector<core::AuditReport> reports;
  std::vector<core::CleanupOutcome> cleanup;
  std::vector<std::string> failures;  // "<export>: <why>" for an export that could not be read
  bool ok() const;                    // no failure and no failed step
};

// Throws kube::ApiError when the PVs or claims cannot be listed; an export that does not
// answer is a failure line, the others are still audited.
AuditResult audit_exports(kube::ApiClient& api, const std::vector<nfs::ExportAddress>& exports,
                          const AuditOptions& options);

}  // namespace nfsprov::ops
