#include "provisioner/ops/release_finalizers.h"

#include <algorithm>
#include <optional>

#include "provisioner/core/annotations.h"
#include "provisioner/core/finalizers.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/volume_identity.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::ops {

namespace {

using core::field;
using nlohmann::json;

bool being_deleted(const json& pv) {
  return !field(field(pv, "metadata"), "deletionTimestamp").is_null();
}

// Provisioned by us (the annotation, as the controller itself decides), still carrying our
// finalizer, and being deleted unless every PV of ours is asked for. The finalizer alone
// would not do: another provisioner built on the same library puts the same one on its PVs.
bool qualifies(const json& pv, const ReleaseOptions& options) {
  return core::provisioned_by(pv, options.provisioner_name) &&
         core::has_provisioner_finalizer(pv) && (options.all || being_deleted(pv));
}

std::string name_of(const json& pv) {
  return core::string_field(field(pv, "metadata"), "name");
}

// "(Available, deleting)": what happens to the PV once released — a deleted one goes (when
// no other finalizer holds it), any other is kept and may now be deleted without hanging.
std::string describe(const json& pv) {
  std::string phase = core::string_field(field(pv, "status"), "phase");
  return "(" + (phase.empty() ? std::string("no phase") : phase) + ", " +
         (being_deleted(pv) ? "deleting" : "kept") + ")";
}

// Removes our finalizer. Returns the PV as it was released (for its line), or nullopt when
// there was nothing left to do: the PV is gone, or after a conflict no longer qualifies
// (someone else removed the finalizer). A second conflict is thrown: the PV keeps changing,
// and overwriting it blindly could undo someone else's write.
std::optional<json> release(kube::ApiClient& api, json pv, const ReleaseOptions& options) {
  const std::string name = name_of(pv);
  for (int attempt = 0;; ++attempt) {
    try {
      // PUT of the object as read: its resourceVersion makes a stale copy a conflict.
      api.update(kube::kPersistentVolumes, core::without_provisioner_finalizer(pv));
      return pv;
    } catch (const kube::ApiError& e) {
      if (e.kind() == kube::ApiErrorKind::not_found) return std::nullopt;
      if (e.kind() != kube::ApiErrorKind::conflict || attempt > 0) throw;
    }
    try {
      pv = api.get(kube::kPersistentVolumes, {}, name);
    } catch (const kube::ApiError& e) {
      if (e.kind() == kube::ApiErrorKind::not_found) return std::nullopt;
      throw;
    }
    if (!qualifies(pv, options)) return std::nullopt;
  }
}

// One line per PV, whatever the server put in its message.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

}  // namespace

ReleaseSummary release_finalizers(kube::ApiClient& api, const ReleaseOptions& options,
                                  std::ostream& out) {
  ReleaseSummary summary;
  const auto volumes = api.list(kube::kPersistentVolumes);
  // A missing "items" is null, which iterates as empty; anything that is not a PV object
  // fails qualifies() (every read there is null-safe).
  for (const auto& pv : field(volumes, "items")) {
    if (!qualifies(pv, options)) continue;
    if (options.dry_run) {
      out << "would release " << name_of(pv) << " " << describe(pv) << "\n";
      ++summary.released;
      continue;
    }
    try {
      if (auto released = release(api, pv, options)) {
        out << "released " << name_of(*released) << " " << describe(*released) << "\n";
        ++summary.released;
      }
    } catch (const std::exception& e) {
      out << "cannot release " << name_of(pv) << ": " << one_line(e.what()) << "\n";
      ++summary.failed;
    }
  }
  if (options.dry_run)
    out << "total: " << summary.released << " to release (dry run: nothing changed)\n";
  else
    out << "total: " << summary.released << " released, " << summary.failed << " failed\n";
  out.flush();
  return summary;
}

}  // namespace nfsprov::ops
