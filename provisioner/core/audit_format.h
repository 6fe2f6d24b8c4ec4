// How `nfs-provisioner audit` shows its reports: a table for people, JSON for scripts. Pure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "provisioner/core/export_audit.h"

namespace nfsprov::core {

// A cleanup step as carried out (or, without --yes, only planned).
struct CleanupOutcome {
  std::string export_name;
  CleanupAction action;
  enum class State { planned, done, failed } state = State::planned;
  std::string detail;  // done: the archive's final name; failed: the error
};

// One block per export: a header line, KIND PATH PV CLAIM PHASE AGE SIZE NOTE columns, a
// totals line; then one line per cleanup step, and for planned steps how to carry them out.
std::string audit_table(const std::vector<AuditReport>& reports,
                        const std::vector<CleanupOutcome>& cleanup);

// {"exports": [{"export", "entries": [...], "totals": {...}}], "cleanup": [...]}; an entry
// has kind and path, and pv, claim, phase, ours, ageSeconds, sizeBytes, sizeComplete, note
// when known.
nlohmann::json audit_json(const std::vector<AuditReport>& reports,
                          const std::vector<CleanupOutcome>& cleanup);

// "12345 B" or ">= 12345 B" when the walk's budget ran out.
std::string format_size(const nfs::TreeSize& size);

}  // namespace nfsprov::core
