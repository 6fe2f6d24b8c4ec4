#include "provisioner/controller/archive_expirer.h"

#include "nfs/export_survey.h"
#include "nfs/volume_records.h"
#include "provisioner/core/archive_retention.h"
#include "provisioner/core/json_fields.h"

namespace nfsprov::controller {

ArchiveExpirer::ArchiveExpirer(WorkContext context) : ctx_(std::move(context)) {}

void ArchiveExpirer::expire(const std::vector<ExportRetention>& exports,
                            const nlohmann::json& pv_items, const core::LiveNames& live) {
  for (const auto& target : exports) {
    if (!ctx_.may_act()) return;
    try {
      expire_export(target, pv_items, live);
    } catch (const std::exception& e) {
      ctx_.logger.warn("cannot expire archives",
                       {{"export", target.address.display()}, {"error", e.what()}});
    }
  }
}

void ArchiveExpirer::expire_export(const ExportRetention& target, const nlohmann::json& pv_items,
                                   const core::LiveNames& live) {
  const auto& address = target.address;
  ctx_.volumes.with_export(address, ctx_.stop, [&](nfs::ExportFiles& client) {
    const auto volumes = core::volumes_on_export(pv_items, address, ctx_.options.provisioner_name);
    const auto records = nfs::list_records(client);
    const auto entries =
        nfs::survey_directories(client, core::directories_to_list(volumes, records));
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const auto report =
        core::classify_export(address.display(), volumes, live, entries, records, now);
    for (const auto& action : core::plan_cleanup(report, false, target.retention)) {
      if (!ctx_.may_act()) return;
      if (!client.remove_tree(action.path)) continue;  // gone meanwhile
      const std::string age = core::format_age(action.age.value_or(std::chrono::seconds(0)));
      const std::string retention = core::format_age(target.retention);
      ctx_.logger.info("removed expired archive",
                       {{"directory", address.display() + " " + action.path},
                        {"age", age},
                        {"retention", retention}});
      ctx_.observer.archive_expired(address);
      // The PV it was archived for, if it is still there (a Released PV held by a finalizer).
      for (const auto& pv : pv_items)
        if (!action.pv_name.empty() &&
            core::string_field(core::field(pv, "metadata"), "name") == action.pv_name)
          ctx_.events.record(InvolvedObject::of("PersistentVolume", pv), EventType::normal,
                             "ArchiveExpired",
                             "archive " + action.path + " removed: " + age +
                                 " old, archiveRetention " + retention);
    }
  });
}

}  // namespace nfsprov::controller
