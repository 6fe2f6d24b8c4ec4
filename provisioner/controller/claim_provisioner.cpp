#include "provisioner/controller/claim_provisioner.h"

#include <cerrno>
#include <chrono>
#include <stdexcept>

#include "nfs/nfs_error.h"
#include "nfs/volume_records.h"
#include "provisioner/core/annotations.h"
#include "provisioner/core/claim_filter.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/path_pattern.h"
#include "provisioner/core/volume_identity.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::controller {

namespace {

// Short cause for metrics and logs.
std::string failure_reason(const std::exception& e) {
  if (dynamic_cast<const nfs::NfsError*>(&e) || dynamic_cast<const nfs::PathError*>(&e))
    return "NfsError";
  if (dynamic_cast<const kube::ApiError*>(&e)) return "ApiError";
  return "Error";
}

}  // namespace

ClaimProvisioner::ClaimProvisioner(WorkContext context, core::VolumePlanner planner,
                                   CloneRunner& clones)
    : ctx_(std::move(context)), planner_(std::move(planner)), clones_(clones) {}

StepResult ClaimProvisioner::provision(const std::string& key, const nlohmann::json& claim,
                                       const nlohmann::json* storage_class,
                                       const CacheView& caches) {
  const core::ClaimVerdict verdict =
      core::judge_claim(claim, storage_class, ctx_.options.provisioner_name);
  const std::string claim_name =
      core::metadata_field(claim, "namespace") + "/" + core::metadata_field(claim, "name");
  if (verdict.state != core::ClaimState::ready) {
    if (ctx_.logger.enabled(log::Level::debug))
      ctx_.logger.debug(
          "claim skipped",
          {{"claim", claim_name}, {"state", core::to_string(verdict.state)}, {"why", verdict.why}});
    ctx_.refusals.forget(key);
    return StepResult::done;
  }
  const std::string pv_name = core::volume_name_for(claim);
  if (caches.volume(pv_name)) {
    ctx_.refusals.forget(key);
    return StepResult::done;
  }

  if (!ctx_.may_act()) return abandon(claim_name);

  const std::string class_name = core::claim_class_name(claim);
  const auto involved = InvolvedObject::of("PersistentVolumeClaim", claim);
  const auto started = std::chrono::steady_clock::now();
  auto outcome = planner_.plan(claim, *storage_class);
  // The same refusal for the same class is reported once: claim updates that do not change
  // the verdict (annotations added by the PV controller) stay quiet. Retried when the claim
  // or class changes (informer events) or at the next resync.
  const auto refuse = [&](const core::Refusal& refusal) {
    const std::string fingerprint =
        core::metadata_field(*storage_class, "resourceVersion") + "/" + refusal.message;
    if (ctx_.refusals.should_report(key, fingerprint)) {
      ctx_.logger.warn(
          "claim refused",
          {{"claim", claim_name}, {"reason", refusal.reason}, {"message", refusal.message}});
      // A new leader re-derives the verdicts of the last one: an identical Warning already on
      // the claim is left as it is (5000 refused claims made 25,018 Events over leader changes).
      ctx_.events.record_once(involved, EventType::warning, "ProvisioningFailed", refusal.message);
      ctx_.observer.provision_failed(class_name, std::chrono::steady_clock::now() - started,
                                     refusal.reason);
    }
    return StepResult::done;
  };
  if (const auto* refusal = std::get_if<core::Refusal>(&outcome)) return refuse(*refusal);
  const auto& plan = std::get<core::VolumePlan>(outcome);
  std::optional<core::CloneSource> source;
  if (plan.clone_of) {
    auto found = clone_source(claim, plan, caches);
    if (const auto* refusal = std::get_if<core::Refusal>(&found)) {
      refuse(*refusal);
      // A source that is not Bound yet (made with its clone, say) is waited for.
      return refusal->reason == core::kCloneSourceNotReady ? StepResult::retry : StepResult::done;
    }
    source = std::get<core::CloneSource>(std::move(found));
  }
  // One claim's volume never reaches another's directory, nor the one above them.
  const std::string full_path =
      core::join_export_path(plan.export_address.export_path, plan.directory);
  if (const auto other =
          ctx_.directories.reserve(plan.export_address.server, full_path, plan.pv_name))
    return refuse({"DirectoryInUse",
                   "directory " + full_path + " on " + plan.export_address.server + " overlaps " +
                       other->path + ", the directory of volume " + other->pv_name +
                       ": a volume may not equal, contain or lie inside another's"});

  bool created = false;
  std::optional<core::CapacityVerdict> capacity;
  CloneStatus copied;
  try {
    if (source) copied = clones_.status(plan.pv_name);
    // Queued again when the copy ends.
    if (copied.state == CloneState::running) return StepResult::done;
    if (copied.state == CloneState::failed) {
      clones_.forget(plan.pv_name);  // the retry copies again, keeping what is complete
      throw std::runtime_error("copying the data of claim " + source->claim +
                               " failed: " + copied.error);
    }
    if (copied.state == CloneState::none) {
      // No GET of the PV first (sig-storage-lib-external-provisioner does none either): the
      // cache check above and create's AlreadyExists answer cover a PV the cache lags behind,
      // and mkdir of an existing directory succeeds. The GET was a quarter of the API calls
      // per claim, so under the client rate limit a quarter of the time of a burst.
      ctx_.events.record(
          involved, EventType::normal, "Provisioning",
          "External provisioner is provisioning volume for claim \"" + claim_name + "\"");
      const auto refusal =
          ctx_.volumes.with_export(plan.export_address, ctx_.stop, [&](nfs::ExportFiles& client) {
            capacity = check_capacity(client, plan);
            return capacity->kind == core::CapacityVerdict::Kind::refuse
                       ? std::optional<core::Refusal>(
                             core::Refusal{"InsufficientCapacity", capacity->message})
                       : make_directory(client, plan, class_name);
          });
      if (refusal) {
        // Without leader election another replica may have made this very volume meanwhile
        // (and dropped its record): its PV says so, and then there is nothing to refuse.
        if (volume_exists(plan.pv_name)) {
          ctx_.logger.debug("volume made by another replica", {{"claim", claim_name}});
          ctx_.refusals.forget(key);
          return StepResult::done;
        }
        return refuse(*refusal);
      }
      if (source) {
        if (!ctx_.may_act()) return abandon(claim_name);
        if (capacity->kind == core::CapacityVerdict::Kind::warn)
          ctx_.events.record(involved, EventType::warning, "CapacityExceeded", capacity->message);
        // The copy runs beside the workers; the PV is made when it is complete.
        clones_.start(CloneJob{key, plan.pv_name, claim_name, involved, *source,
                               plan.export_address, plan.directory});
        return StepResult::done;
      }
    }
    // A PV of a leader that lost its Lease while it was frozen here could outlive the claim:
    // the new leader may have provisioned, bound and reclaimed it meanwhile.
    if (!ctx_.may_act()) return abandon(claim_name);
    created = create_volume(plan, source ? &*source : nullptr);
    forget_record(plan);
    if (source) clones_.forget(plan.pv_name);
  } catch (const std::exception& e) {
    // The failure is the fence's, or followed a freeze: the claim is another replica's now,
    // and a Warning (or an undo) from us would be about work that is not ours.
    if (!ctx_.may_act() || stopped_by(e)) return abandon(claim_name);
    const std::string message =
        "failed to provision volume with StorageClass \"" + class_name + "\": " + e.what();
    ctx_.logger.warn("provisioning failed", {{"claim", claim_name}, {"error", e.what()}});
    ctx_.events.record(involved, EventType::warning, "ProvisioningFailed", message);
    ctx_.observer.provision_failed(class_name, std::chrono::steady_clock::now() - started,
                                   failure_reason(e));
    return StepResult::retry;
  }

  const auto took = std::chrono::steady_clock::now() - started;
  ctx_.refusals.forget(key);
  if (!created) {
    // Done before (by us, moments ago, or another replica): it was reported then.
    ctx_.logger.debug("volume already exists", {{"claim", claim_name}, {"pv", pv_name}});
    ctx_.observer.provision_succeeded(class_name, took);
    return StepResult::done;
  }
  ctx_.logger.info("provisioned volume",
                   {{"claim", claim_name},
                    {"pv", pv_name},
                    {"directory", plan.export_address.display() + " " + plan.directory},
                    {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(took).count()}});
  ctx_.events.record(involved, EventType::normal, "ProvisioningSucceeded",
                     "Successfully provisioned volume " + pv_name +
                         (source ? copy_summary(*source, copied) : std::string()));
  if (!source && capacity && capacity->kind == core::CapacityVerdict::Kind::warn)
    ctx_.events.record(involved, EventType::warning, "CapacityExceeded", capacity->message);
  ctx_.observer.provision_succeeded(class_name, took);
  return StepResult::done;
}

std::optional<core::Refusal> ClaimProvisioner::make_directory(nfs::ExportFiles& client,
                                                              const core::VolumePlan& plan,
                                                              const std::string& class_name) {
  const auto refused = [&](const std::string& why) {
    return core::Refusal{"DirectoryExists",
                         "directory " + plan.directory + " exists on " +
                             plan.export_address.display() +
                             " and was not made by this provisioner for this claim (" + why +
                             "): it is left as it is; to use its data, bind a static PV to it"};
  };
  // The directory exists and the claim's record names it: made by an earlier try of this
  // claim (a crash or a lost reply between mkdir and the PV), or by another replica working on
  // it at the same time. It was made after its record was written, so by the server's clock
  // it changed no earlier than the record; and no pod can have written into it yet (there is
  // no PV). A directory that fails either test was there before.
  const auto adopt = [&](const nfs::VolumeRecord& record) -> std::optional<core::Refusal> {
    if (const auto found = client.stat(plan.directory)) {
      if (found->changed_ns < record.written_ns) return refused("it is older than the claim");
      // A clone's copy writes into it before there is a PV, and resumes after a restart.
      if (!plan.clone_of && !client.list(plan.directory).empty()) return refused("it is not empty");
    }
    client.create_directory(plan.directory, plan.create_options);
    return std::nullopt;
  };
  // First the record, then the mkdir: a crash in between leaves a record the retry (or, if the
  // claim is gone by then, the leader's sweep) finds. A retry's write keeps the identical
  // record of its first try (and its time), so its strict mkdir, finding the directory, is
  // judged against that record below: no read is needed up front.
  nfs::write_record(client, {plan.pv_name, class_name, plan.directory});
  nfs::CreateOptions options = plan.create_options;
  options.must_be_new = true;
  try {
    client.create_directory(plan.directory, options);
    return std::nullopt;
  } catch (const nfs::NfsError& e) {
    if (e.error_number() != EEXIST) throw;
  }
  std::optional<core::Refusal> refusal = refused("no record of it");
  if (const auto record = nfs::read_record(client, plan.pv_name);
      record && record->directory == plan.directory)
    refusal = adopt(*record);
  if (refusal) nfs::erase_record(client, plan.pv_name);
  return refusal;
}

core::CapacityVerdict ClaimProvisioner::check_capacity(nfs::ExportFiles& client,
                                                       const core::VolumePlan& plan) {
  if (plan.capacity_policy == core::CapacityPolicy::ignore) return {};
  const auto usage = ctx_.usage.get(plan.export_address, [&] { return client.usage(); });
  return core::judge_capacity(plan.capacity_policy, plan.request_bytes, plan.request, usage,
                              plan.export_address.display());
}

bool ClaimProvisioner::volume_exists(const std::string& pv_name) {
  try {
    ctx_.api.get(kube::kPersistentVolumes, {}, pv_name);
    return true;
  } catch (const kube::ApiError& e) {
    if (e.kind() == kube::ApiErrorKind::not_found) return false;
    throw;
  }
}

void ClaimProvisioner::forget_record(const core::VolumePlan& plan) {
  // The PV is the record now. Failing to remove it costs nothing: the sweep drops records
  // whose PV exists.
  try {
    ctx_.volumes.with_export(plan.export_address, ctx_.stop, [&](nfs::ExportFiles& client) {
      nfs::erase_record(client, plan.pv_name);
    });
  } catch (const std::exception& e) {
    ctx_.logger.debug("volume record not removed", {{"pv", plan.pv_name}, {"error", e.what()}});
  }
}

StepResult ClaimProvisioner::abandon(const std::string& claim_name) {
  ctx_.logger.info("stopping or not leading any more, claim left to the leader",
                   {{"claim", claim_name}});
  // Back to the queue: if this replica keeps the Lease after all (nobody took over while it
  // was frozen), the claim is worked again; if not, the queue goes with the controller.
  return StepResult::retry;
}

core::Outcome<core::CloneSource> ClaimProvisioner::clone_source(const nlohmann::json& claim,
                                                                const core::VolumePlan& plan,
                                                                const CacheView& caches) {
  const auto source_claim =
      caches.claim(core::metadata_field(claim, "namespace") + "/" + *plan.clone_of);
  std::optional<nlohmann::json> source_pv, source_class;
  if (source_claim) {
    const std::string volume = core::string_field(core::field(*source_claim, "spec"), "volumeName");
    if (!volume.empty()) source_pv = caches.volume(volume);
    if (const std::string name = core::claim_class_name(*source_claim); !name.empty())
      source_class = caches.storage_class(name);
  }
  return core::resolve_clone_source(claim, plan.request_bytes,
                                    source_claim ? &*source_claim : nullptr,
                                    source_pv ? &*source_pv : nullptr,
                                    source_class ? &*source_class : nullptr, planner_.defaults());
}

bool ClaimProvisioner::create_volume(const core::VolumePlan& plan,
                                     const core::CloneSource* source) {
  nlohmann::json pv = plan.pv;
  if (source)
    pv["metadata"]["annotations"][std::string(core::kClonedFromAnnotation)] = source->claim;
  if (!ctx_.options.add_finalizer) {
    if (auto meta = pv.find("metadata"); meta != pv.end() && meta->is_object())
      meta->erase("finalizers");
  }
  try {
    ctx_.api.create(kube::kPersistentVolumes, {}, pv);
    return true;
  } catch (const kube::ApiError& e) {
    // Another replica (or our previous life) created it: the name embeds the claim uid, so
    // it is this claim's volume.
    if (e.kind() != kube::ApiErrorKind::already_exists) throw;
    return false;
  }
}

}  // namespace nfsprov::controller
