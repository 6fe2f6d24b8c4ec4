#include "provisioner/controller/claim_expander.h"

#include "provisioner/core/capacity_policy.h"
#include "provisioner/core/deletion_planner.h"
#include "provisioner/core/expansion_planner.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/quantity.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::controller {

namespace {

using nlohmann::json;

std::string resource_version(const json& object) {
  return core::string_field(core::field(object, "metadata"), "resourceVersion");
}

// status.allocatedResourceStatuses as external-resizer keeps it (RecoverVolumeExpansionFailure,
// GA in Kubernetes 1.34): what the resizer is working on, so a user may lower a request that
// cannot be met. null removes the entry (merge patch).
json claim_status_patch(const json& claim, const json& status) {
  return {{"metadata", {{"resourceVersion", resource_version(claim)}}}, {"status", status}};
}

}  // namespace

ClaimExpander::ClaimExpander(WorkContext context) : ctx_(std::move(context)) {}

StepResult ClaimExpander::expand(const std::string& key, const json& claim, const json* pv,
                                 const json* storage_class) {
  const auto decision =
      core::plan_expansion(claim, pv, storage_class, ctx_.options.provisioner_name);
  const json& meta = core::field(claim, "metadata");
  const std::string ns = core::string_field(meta, "namespace");
  const std::string name = core::string_field(meta, "name");
  const std::string claim_name = ns + "/" + name;
  if (decision.step == core::ExpansionStep::none) {
    if (ctx_.logger.enabled(log::Level::debug))
      ctx_.logger.debug("claim not expanded", {{"claim", claim_name}, {"why", decision.why}});
    ctx_.refusals.forget(key);
    return StepResult::done;
  }
  const auto abandon = [&] {
    ctx_.logger.info("stopping or not leading any more, expansion left to the leader",
                     {{"claim", claim_name}});
    return StepResult::retry;
  };
  if (!ctx_.may_act()) return abandon();

  const std::string pv_name = core::string_field(core::field(*pv, "metadata"), "name");
  const auto involved = InvolvedObject::of("PersistentVolumeClaim", claim);
  const std::string& size = decision.new_size;
  core::CapacityVerdict capacity;
  try {
    if (decision.step == core::ExpansionStep::raise_volume)
      capacity = check_growth(*pv, storage_class, size);
  } catch (const std::exception& e) {
    // An export that does not answer statvfs cannot be judged; the growth is not held up.
    ctx_.logger.debug("export usage unknown", {{"claim", claim_name}, {"error", e.what()}});
  }
  if (capacity.kind == core::CapacityVerdict::Kind::refuse) {
    // Once per verdict, as for a refused claim: the next look is when the claim changes (the
    // user lowers the request) or at the resync.
    if (ctx_.refusals.should_report(key, size + "/" + capacity.message)) {
      ctx_.logger.warn("expansion refused", {{"claim", claim_name}, {"message", capacity.message}});
      ctx_.events.record_once(involved, EventType::warning, "VolumeResizeFailed", capacity.message);
    }
    return StepResult::done;
  }
  try {
    json current = claim;
    if (decision.step == core::ExpansionStep::raise_volume) {
      current = ctx_.api.merge_patch_status(
          kube::kPersistentVolumeClaims, ns, name,
          claim_status_patch(current, {{"allocatedResources", {{"storage", size}}},
                                       {"allocatedResourceStatuses",
                                        {{"storage", "ControllerResizeInProgress"}}}}));
      // After the claim's conditional write: a pass on a stale cache (our own earlier write
      // not seen yet) ends in a 409 above and says nothing.
      ctx_.events.record(involved, EventType::normal, "Resizing",
                         "External resizer is resizing volume " + pv_name);
      // A leader frozen here must not raise a PV the next leader may have dealt with.
      if (!ctx_.may_act()) return abandon();
      // Conditional on the cached PV: a cache that lags behind a raise to more than size
      // answers 409 instead of shrinking the PV back.
      ctx_.api.merge_patch(kube::kPersistentVolumes, {}, pv_name,
                           {{"metadata", {{"resourceVersion", resource_version(*pv)}}},
                            {"spec", {{"capacity", {{"storage", size}}}}}});
      ctx_.logger.info("volume capacity raised", {{"pv", pv_name}, {"capacity", size}});
    }
    if (!ctx_.may_act()) return abandon();
    ctx_.api.merge_patch_status(
        kube::kPersistentVolumeClaims, ns, name,
        claim_status_patch(current, {{"capacity", {{"storage", size}}},
                                     {"allocatedResources", {{"storage", size}}},
                                     {"allocatedResourceStatuses", {{"storage", nullptr}}}}));
  } catch (const kube::ApiError& e) {
    if (!ctx_.may_act() || stopped_by(e)) return abandon();
    // A cache behind the server: the informer brings the fresh object and the retry works
    // from it. Not the user's business.
    if (e.kind() == kube::ApiErrorKind::conflict) {
      ctx_.logger.debug("expansion met a newer object, retrying", {{"claim", claim_name}});
      return StepResult::retry;
    }
    ctx_.logger.warn("expansion failed", {{"claim", claim_name}, {"error", e.what()}});
    ctx_.events.record(involved, EventType::warning, "VolumeResizeFailed",
                       "resize volume " + pv_name + " failed: " + e.what());
    return StepResult::retry;
  }
  ctx_.refusals.forget(key);
  ctx_.logger.info("claim expanded", {{"claim", claim_name}, {"pv", pv_name}, {"capacity", size}});
  ctx_.events.record(involved, EventType::normal, "VolumeResizeSuccessful",
                     "Resize volume succeeded: " + pv_name + " is now " + size);
  if (capacity.kind == core::CapacityVerdict::Kind::warn)
    ctx_.events.record(involved, EventType::warning, "CapacityExceeded", capacity.message);
  return StepResult::done;
}

core::CapacityVerdict ClaimExpander::check_growth(const json& pv, const json* storage_class,
                                                  const std::string& size) {
  const auto policy = core::capacity_policy(storage_class);
  // A bad parameter is the provisioner's to report; it does not stop a growth.
  if (!std::holds_alternative<core::CapacityPolicy>(policy) ||
      std::get<core::CapacityPolicy>(policy) == core::CapacityPolicy::ignore)
    return {};
  const auto location = core::volume_location(pv, storage_class, defaults_of(ctx_.options));
  if (!std::holds_alternative<core::VolumeLocation>(location)) return {};
  const auto& address = std::get<core::VolumeLocation>(location).export_address;
  const std::string now =
      core::string_field(core::field(core::field(pv, "spec"), "capacity"), "storage");
  // Both parsed already: plan_expansion asks for raise_volume only then.
  const auto from_bytes = core::parse_quantity_bytes(now);
  const auto to_bytes = core::parse_quantity_bytes(size);
  const auto* from = std::get_if<std::uint64_t>(&from_bytes);
  const auto* to = std::get_if<std::uint64_t>(&to_bytes);
  if (from == nullptr || to == nullptr || *to <= *from) return {};
  const auto usage = ctx_.usage.get(address, [&] {
    return ctx_.volumes.with_export(address, ctx_.stop,
                                    [](nfs::ExportFiles& client) { return client.usage(); });
  });
  return core::judge_growth(std::get<core::CapacityPolicy>(policy), *to - *from, now, size, usage,
                            address.display());
}

}  // namespace nfsprov::controller
