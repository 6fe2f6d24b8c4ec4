#include "provisioner/ops/export_audit.h"

#include <algorithm>

#include "nfs/export_client.h"
#include "nfs/export_survey.h"
#include "nfs/volume_records.h"
#include "provisioner/core/deletion_planner.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::ops {

namespace {

using nlohmann::json;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Renames the orphan; an archive of that name already there is never overwritten (the
// timestamped name, as the reclaimer does).
std::string archive(nfs::ExportClient& client, const core::CleanupAction& action) {
  std::string target = action.target;
  if (client.exists(target))
    target = core::timestamped_archive_directory(target, std::chrono::system_clock::now());
  client.rename(action.path, target);
  return target;
}

void carry_out(nfs::ExportClient& client, core::CleanupOutcome& step) {
  try {
    if (step.action.kind == core::CleanupAction::Kind::archive)
      step.detail = archive(client, step.action);
    else
      client.remove_tree(step.action.path);
    step.state = core::CleanupOutcome::State::done;
  } catch (const std::exception& e) {
    step.state = core::CleanupOutcome::State::failed;
    step.detail = e.what();
  }
}

core::AuditReport audit_one(nfs::ExportClient& client, const nfs::ExportAddress& address,
                            const json& pvs, const core::LiveNames& live,
                            const AuditOptions& options) {
  const auto volumes = core::volumes_on_export(pvs, address, options.provisioner_name);
  const auto records = nfs::list_records(client);
  const auto entries = nfs::survey_directories(client, core::directories_to_list(volumes, records));
  auto report = core::classify_export(address.display(), volumes, live, entries, records, now_ns());
  for (auto& row : report.rows)
    if (row.kind == core::AuditKind::archive)
      row.size = nfs::tree_size(client, row.path, options.size_budget);
  return report;
}

}  // namespace

bool AuditResult::ok() const {
  return failures.empty() && std::none_of(cleanup.begin(), cleanup.end(), [](const auto& step) {
           return step.state == core::CleanupOutcome::State::failed;
         });
}

AuditResult audit_exports(kube::ApiClient& api, const std::vector<nfs::ExportAddress>& exports,
                          const AuditOptions& options) {
  const json pvs = api.list(kube::kPersistentVolumes).value("items", json::array());
  const auto live =
      core::live_names(pvs, api.list(kube::kPersistentVolumeClaims).value("items", json::array()));
  AuditResult result;
  for (const auto& address : exports) {
    try {
      nfs::ExportClient client(address);
      auto report = audit_one(client, address, pvs, live, options);
      for (const auto& action :
           core::plan_cleanup(report, options.archive_orphans, options.delete_expired)) {
        core::CleanupOutcome step{report.export_name, action, core::CleanupOutcome::State::planned,
                                  ""};
        if (options.confirm) carry_out(client, step);
        result.cleanup.push_back(std::move(step));
      }
      result.reports.push_back(std::move(report));
    } catch (const std::exception& e) {
      result.failures.push_back(address.display() + ": " + e.what());
    }
  }
  return result;
}

}  // namespace nfsprov::ops
