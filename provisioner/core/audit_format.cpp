#include "provisioner/core/audit_format.h"

#include <algorithm>
#include <array>
#include <sstream>

#include "provisioner/core/archive_retention.h"

namespace nfsprov::core {

namespace {

using nlohmann::json;

constexpr std::size_t kColumns = 8;
using Line = std::array<std::string, kColumns>;

std::string or_dash(const std::string& text) {
  return text.empty() ? "-" : text;
}

Line line_of(const AuditRow& row) {
  return {std::string(kind_name(row.kind)),
          row.path,
          or_dash(row.pv_name),
          or_dash(row.claim),
          or_dash(row.phase),
          row.age ? format_age(*row.age) : "-",
          row.size ? format_size(*row.size) : "-",
          row.note};
}

std::string totals_line(const AuditReport& report) {
  std::ostringstream out;
  out << "totals: " << report.count(AuditKind::volume) << " volumes, "
      << report.count(AuditKind::pending) << " pending, " << report.count(AuditKind::orphan)
      << " orphans, " << report.count(AuditKind::missing) << " missing, "
      << report.count(AuditKind::archive) << " archives (" << report.archive_bytes() << " bytes), "
      << report.count(AuditKind::foreign) << " foreign, " << report.count(AuditKind::parent)
      << " parents\n";
  return out.str();
}

std::string_view verb(const CleanupOutcome& step) {
  const bool archive = step.action.kind == CleanupAction::Kind::archive;
  switch (step.state) {
    case CleanupOutcome::State::planned:
      return archive ? "would archive" : "would delete";
    case CleanupOutcome::State::done:
      return archive ? "archived" : "deleted";
    case CleanupOutcome::State::failed:
      return archive ? "cannot archive" : "cannot delete";
  }
  return "";
}

std::string_view state_name(CleanupOutcome::State state) {
  switch (state) {
    case CleanupOutcome::State::planned:
      return "planned";
    case CleanupOutcome::State::done:
      return "done";
    case CleanupOutcome::State::failed:
      return "failed";
  }
  return "";
}

json totals_json(const AuditReport& report) {
  json totals = json::object();
  for (auto kind : {AuditKind::volume, AuditKind::parent, AuditKind::pending, AuditKind::orphan,
                    AuditKind::archive, AuditKind::foreign, AuditKind::missing})
    totals[std::string(kind_name(kind))] = report.count(kind);
  totals["archiveBytes"] = report.archive_bytes();
  return totals;
}

json row_json(const AuditRow& row) {
  json entry{{"kind", kind_name(row.kind)}, {"path", row.path}, {"ours", row.ours}};
  if (!row.pv_name.empty()) entry["pv"] = row.pv_name;
  if (!row.claim.empty()) entry["claim"] = row.claim;
  if (!row.phase.empty()) entry["phase"] = row.phase;
  if (row.age) entry["ageSeconds"] = row.age->count();
  if (row.size) {
    entry["sizeBytes"] = row.size->bytes;
    entry["sizeComplete"] = row.size->complete;
  }
  if (!row.note.empty()) entry["note"] = row.note;
  return entry;
}

}  // namespace

std::string format_size(const nfs::TreeSize& size) {
  return (size.complete ? "" : ">= ") + std::to_string(size.bytes) + " B";
}

std::string audit_table(const std::vector<AuditReport>& reports,
                        const std::vector<CleanupOutcome>& cleanup) {
  std::ostringstream out;
  const Line header{"KIND", "PATH", "PV", "CLAIM", "PHASE", "AGE", "SIZE", "NOTE"};
  for (const auto& report : reports) {
    std::vector<Line> lines{header};
    for (const auto& row : report.rows) lines.push_back(line_of(row));
    std::array<std::size_t, kColumns> width{};
    for (const auto& line : lines)
      for (std::size_t i = 0; i < kColumns; ++i) width[i] = std::max(width[i], line[i].size());
    out << "export " << report.export_name << "\n";
    for (const auto& line : lines) {
      std::string text;
      for (std::size_t i = 0; i < kColumns; ++i) {
        text += line[i];
        if (i + 1 < kColumns) text += std::string(width[i] - line[i].size() + 2, ' ');
      }
      text.erase(text.find_last_not_of(' ') + 1);
      out << text << "\n";
    }
    out << totals_line(report) << "\n";
  }
  bool planned = false;
  for (const auto& step : cleanup) {
    out << verb(step) << " " << step.export_name << " " << step.action.path;
    if (step.action.kind == CleanupAction::Kind::archive)
      out << " -> "
          << (step.state == CleanupOutcome::State::done && !step.detail.empty()
                  ? step.detail
                  : step.action.target);
    else if (step.action.age)
      out << " (age " << format_age(*step.action.age) << ")";
    if (step.state == CleanupOutcome::State::failed) out << ": " << step.detail;
    out << "\n";
    planned = planned || step.state == CleanupOutcome::State::planned;
  }
  if (planned) out << "nothing was changed: add --yes to do this\n";
  return out.str();
}

json audit_json(const std::vector<AuditReport>& reports,
                const std::vector<CleanupOutcome>& cleanup) {
  json exports = json::array();
  for (const auto& report : reports) {
    json entries = json::array();
    for (const auto& row : report.rows) entries.push_back(row_json(row));
    exports.push_back(
        {{"export", report.export_name}, {"entries", entries}, {"totals", totals_json(report)}});
  }
  json steps = json::array();
  for (const auto& step : cleanup) {
    json item{{"export", step.export_name},
              {"action", step.action.kind == CleanupAction::Kind::archive ? "archive" : "delete"},
              {"path", step.action.path},
              {"state", state_name(step.state)}};
    if (step.action.kind == CleanupAction::Kind::archive)
      item["target"] = step.state == CleanupOutcome::State::done && !step.detail.empty()
                           ? step.detail
                           : step.action.target;
    if (step.action.age) item["ageSeconds"] = step.action.age->count();
    if (step.state == CleanupOutcome::State::failed) item["error"] = step.detail;
    steps.push_back(item);
  }
  return {{"exports", exports}, {"cleanup", steps}};
}

}  // namespace nfsprov::core
