#include "provisioner/controller/volume_reclaimer.h"

#include <cerrno>
#include <chrono>

#include "provisioner/controller/volume_archive.h"
#include "provisioner/core/annotations.h"
#include "provisioner/core/finalizers.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/volume_identity.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::controller {

namespace {

using core::field;

bool reclaimed_already(const nlohmann::json& pv) {
  const auto& annotations = field(field(pv, "metadata"), "annotations");
  return annotations.is_object() && annotations.contains(std::string(core::kReclaimedAnnotation));
}

std::string action_name(core::DeletionAction action) {
  switch (action) {
    case core::DeletionAction::remove:
      return "delete";
    case core::DeletionAction::retain:
      return "retain";
    case core::DeletionAction::archive:
      return "archive";
  }
  return "?";
}

}  // namespace

VolumeReclaimer::VolumeReclaimer(WorkContext context, core::DeletionPlanner planner)
    : ctx_(std::move(context)), planner_(std::move(planner)) {}

StepResult VolumeReclaimer::reclaim(const std::string& key, const nlohmann::json& pv,
                                    const nlohmann::json* storage_class) {
  if (!core::provisioned_by(pv, ctx_.options.provisioner_name)) return StepResult::done;
  const std::string name = core::metadata_field(pv, "name");
  if (!ctx_.may_act()) return abandon(name);
  const std::string uid = core::metadata_field(pv, "uid");
  const std::string class_name = core::string_field(field(pv, "spec"), "storageClassName");
  const bool being_deleted = !field(field(pv, "metadata"), "deletionTimestamp").is_null();
  const auto involved = InvolvedObject::of("PersistentVolume", pv);

  if (reclaimed_already(pv)) {
    // Our part is done: only the PV object's delete may still be missing (a crash between
    // the two writes); repeating it is harmless.
    try {
      if (field(field(pv, "metadata"), "deletionTimestamp").is_null()) delete_volume(name, uid);
    } catch (const std::exception& e) {
      ctx_.logger.warn("cannot delete volume", {{"pv", name}, {"error", e.what()}});
      return StepResult::retry;
    }
    ctx_.refusals.forget(key);
    return StepResult::done;
  }

  const core::DeletionDecision decision = planner_.plan(pv, storage_class);
  if (const auto* skip = std::get_if<core::SkipDeletion>(&decision)) {
    // A user deleting a PV we keep (Retain, or never released) must not hang on our
    // finalizer; only a Delete PV keeps it until its directory was dealt with.
    const bool policy_delete =
        core::string_field(field(pv, "spec"), "persistentVolumeReclaimPolicy") == "Delete" ||
        core::string_field(field(pv, "spec"), "persistentVolumeReclaimPolicy").empty();
    if (being_deleted && core::has_provisioner_finalizer(pv) && !policy_delete) {
      try {
        remove_finalizer(pv);
        ctx_.logger.info("released finalizer of kept volume", {{"pv", name}, {"why", skip->why}});
      } catch (const std::exception& e) {
        ctx_.logger.warn("cannot remove finalizer", {{"pv", name}, {"error", e.what()}});
        return StepResult::retry;
      }
    }
    ctx_.refusals.forget(key);
    return StepResult::done;
  }
  if (const auto* refusal = std::get_if<core::Refusal>(&decision)) {
    const std::string fingerprint =
        core::metadata_field(pv, "resourceVersion") + "/" +
        (storage_class ? core::metadata_field(*storage_class, "resourceVersion") : std::string{});
    if (ctx_.refusals.should_report(key, fingerprint)) {
      ctx_.logger.warn("volume not deleted",
                       {{"pv", name}, {"reason", refusal->reason}, {"message", refusal->message}});
      ctx_.events.record(involved, EventType::warning, "VolumeFailedDelete", refusal->message);
      ctx_.observer.delete_failed(class_name, std::chrono::nanoseconds{0}, refusal->reason);
    }
    return StepResult::done;
  }

  const auto& plan = std::get<core::DeletionPlan>(decision);
  if (plan.action != core::DeletionAction::retain) {
    // Never remove (or move away) a directory another live volume uses or holds: two PVs on
    // one directory made by hand, or a volume nested inside this one.
    const auto& nfs = field(field(pv, "spec"), "nfs");
    const auto& server = field(nfs, "server");
    const auto& path = field(nfs, "path");
    if (server.is_string() && path.is_string()) {
      if (const auto other = ctx_.directories.in_use_below(server.get<std::string>(),
                                                           path.get<std::string>(), name)) {
        const std::string message = "directory " + path.get<std::string>() +
                                    " is not deleted or archived: volume " + other->pv_name +
                                    " uses " + other->path + " (kept until that volume is gone)";
        if (ctx_.refusals.should_report(key, "in-use/" + other->pv_name)) {
          ctx_.logger.warn("volume not deleted", {{"pv", name}, {"message", message}});
          ctx_.events.record(involved, EventType::warning, "VolumeFailedDelete", message);
          ctx_.observer.delete_failed(class_name, std::chrono::nanoseconds{0}, "DirectoryInUse");
        }
        return StepResult::retry;  // with back-off, until the other volume is gone
      }
    }
  }
  const auto started = std::chrono::steady_clock::now();
  std::string note;
  try {
    note = act_on_directory(plan);
    if (!ctx_.may_act()) return abandon(name);
    remove_finalizer(pv, /*mark_reclaimed=*/true);
    delete_volume(name, uid);
  } catch (const std::exception& e) {
    // Fenced off, or failed after a freeze: the volume is the new leader's to finish.
    if (!ctx_.may_act() || stopped_by(e)) return abandon(name);
    ctx_.logger.warn("volume deletion failed", {{"pv", name}, {"error", e.what()}});
    ctx_.events.record(involved, EventType::warning, "VolumeFailedDelete", e.what());
    ctx_.observer.delete_failed(class_name, std::chrono::steady_clock::now() - started,
                                dynamic_cast<const kube::ApiError*>(&e) ? "ApiError" : "NfsError");
    return StepResult::retry;
  }
  const auto took = std::chrono::steady_clock::now() - started;
  ctx_.refusals.forget(key);
  ctx_.logger.info("deleted volume",
                   {{"pv", name},
                    {"action", action_name(plan.action)},
                    {"directory", plan.export_address.display() + " " + plan.directory},
                    {"note", note},
                    {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(took).count()}});
  ctx_.observer.delete_succeeded(class_name, took);
  return StepResult::done;
}

StepResult VolumeReclaimer::abandon(const std::string& pv_name) {
  ctx_.logger.info("stopping or not leading any more, volume left to the leader",
                   {{"pv", pv_name}});
  return StepResult::retry;
}

std::string VolumeReclaimer::act_on_directory(const core::DeletionPlan& plan) {
  if (plan.action == core::DeletionAction::retain) return "directory kept";
  auto already_gone = [&] {
    ctx_.logger.warn("directory of volume was already gone",
                     {{"directory", plan.export_address.display() + " " + plan.directory}});
    return std::string("directory was already gone");
  };
  return ctx_.volumes.with_export(plan.export_address, ctx_.stop, [&](nfs::ExportFiles& client) {
    if (plan.action == core::DeletionAction::remove) {
      if (client.remove_tree(plan.directory)) return std::string("directory removed");
      return already_gone();
    }
    if (!client.exists(plan.directory)) return already_gone();
    std::string target;
    try {
      target = archive_directory(client, plan.directory, plan.archive_directory);
    } catch (const nfs::NfsError& error) {
      // The lookup above can be answered from the server's cache after someone removed the
      // directory on the server itself: the rename is the authoritative "it is gone". Its
      // parent is the archive's parent, so ENOENT cannot mean a missing target directory.
      if (error.error_number() != ENOENT) throw;
      return already_gone();
    }
    return "archived to " + target;
  });
}

void VolumeReclaimer::remove_finalizer(const nlohmann::json& cached, bool mark_reclaimed) {
  // First from the cached object: its resourceVersion makes the PUT fail with a conflict
  // when the cache is stale, and saves a GET (a third of the API calls per deleted volume)
  // in the usual case; after a conflict, from a fresh GET.
  nlohmann::json pv = cached;
  for (int attempt = 0;; ++attempt) {
    if (!core::has_provisioner_finalizer(pv) && !mark_reclaimed) return;
    pv = core::without_provisioner_finalizer(std::move(pv));
    if (mark_reclaimed)
      pv["metadata"]["annotations"][std::string(core::kReclaimedAnnotation)] = "yes";
    try {
      ctx_.api.update(kube::kPersistentVolumes, pv);
      return;
    } catch (const kube::ApiError& e) {
      if (e.kind() == kube::ApiErrorKind::not_found) return;
      if (e.kind() != kube::ApiErrorKind::conflict || attempt > 0) throw;
    }
    try {
      pv = ctx_.api.get(kube::kPersistentVolumes, {}, core::metadata_field(cached, "name"));
    } catch (const kube::ApiError& e) {
      if (e.kind() == kube::ApiErrorKind::not_found) return;
      throw;
    }
  }
}

void VolumeReclaimer::delete_volume(const std::string& pv_name, const std::string& uid) {
  try {
    ctx_.api.remove(kube::kPersistentVolumes, {}, pv_name, uid);
  } catch (const kube::ApiError& e) {
    // Gone already, or a namesake with another uid (not ours to delete): nothing to do.
    if (e.kind() != kube::ApiErrorKind::not_found && e.kind() != kube::ApiErrorKind::conflict)
      throw;
  }
}

}  // namespace nfsprov::controller
