// `nfs-provisioner check`: can this provisioner use an NFS export, and if not, what to change
// on the server. Also the one-line start-up diagnosis main logs for each export.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/values/export_address.h"

namespace nfsprov::ops {

enum class Verdict { pass, warn, fail };

// What went wrong, for the start-up line and for callers that act on it.
enum class Finding {
  none,
  portmapper_unreachable,
  unreachable,               // no answer, connection refused, timeout
  mount_refused,             // export missing or this client not in its client list
  privileged_port_required,  // refused while we could only use a port >= 1024
  read_only,
  no_write_permission,
  root_squashed,
  low_space,
  round_trip_failed,
};

struct CheckLine {
  Verdict verdict = Verdict::pass;
  std::string name;    // "portmapper", "mount", "nfsv3", "write", "root squash", ...
  std::string detail;  // what was seen
  std::string fix;     // what to change, "" when nothing
  Finding finding = Finding::none;
};

struct ExportCheckOptions {
  // The uid/gid the probe directory is chowned to, to tell whether root is squashed.
  std::uint32_t probe_uid = 54321;
  std::uint32_t probe_gid = 54321;
  // Less available space than this is a WARN.
  std::uint64_t low_space_bytes = 1ULL << 30;
};

struct ExportCheckResult {
  nfs::ExportAddress address;
  std::vector<CheckLine> lines;   // in the order the checks ran; a check that cannot run after
                                  // an earlier failure is left out
  bool ok() const;                // every line PASS
  bool usable() const;            // no line FAIL (warnings allowed)
  Finding first_problem() const;  // first FAIL, else first WARN, else none
};

// Runs every check against the export. Never throws for NFS trouble (it becomes a line); the
// probe directory `.nfs-provisioner-check-<random>` is always removed again.
ExportCheckResult check_export(const nfs::ExportAddress& address,
                               const ExportCheckOptions& options = {});

// Human report: a header naming the export, then "PASS|WARN|FAIL <name>: <detail>" lines,
// each failing one followed by "    fix: ...", then a summary line.
std::string format_check(const ExportCheckResult& result);
// One line of such a report: "PASS|WARN|FAIL <name>: <detail>\n" and its fix line, if any.
std::string format_check_line(const CheckLine& line);

// Start-up diagnosis: runs check_export and returns one line, e.g.
//   "NFS export 10.0.0.5:/srv/nfs ok (12.3 GiB available)"
//   "NFS export 10.0.0.5:/srv/nfs: root is squashed (chown refused): add no_root_squash ..."
struct StartupDiagnosis {
  Finding finding = Finding::none;
  std::string line;
};
StartupDiagnosis diagnose_export(const nfs::ExportAddress& address);
// The same summary from a result already at hand (pure).
StartupDiagnosis summarize(const ExportCheckResult& result);

std::string_view verdict_name(Verdict verdict);  // "PASS", "WARN", "FAIL"

}  // namespace nfsprov::ops
