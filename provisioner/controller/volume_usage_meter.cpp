#include "provisioner/controller/volume_usage_meter.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

#include "nfs/export_client.h"
#include "nfs/export_survey.h"
#include "provisioner/core/annotations.h"
#include "provisioner/core/deletion_planner.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/volume_identity.h"
#include "provisioner/core/volume_usage.h"

namespace nfsprov::controller {

namespace {

using core::field;
using core::string_field;
using nlohmann::json;

// A volume with more entries than this is reported as far as the walk got.
constexpr std::uint64_t kMaxEntries = 10'000'000;
constexpr std::chrono::milliseconds kWalkCallTimeout{2000};

std::string name_of(const json& object) {
  return string_field(field(object, "metadata"), "name");
}

// Sleeps (interruptibly) while the walks have made more calls than the rate allows since start.
class Pacer {
 public:
  Pacer(const WalkedExport& walked, double calls_per_second, std::stop_token stop)
      : walked_(walked),
        rate_(calls_per_second),
        stop_(std::move(stop)),
        first_call_(walked.calls()),
        start_(std::chrono::steady_clock::now()) {}

  bool operator()() {
    if (rate_ <= 0) return !stop_.stop_requested();
    const auto made = static_cast<double>(walked_.calls() - first_call_);
    const auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(made / rate_));
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, stop_, due, [] { return false; });
    return !stop_.stop_requested();
  }
  std::uint64_t calls() const { return walked_.calls() - first_call_; }

 private:
  const WalkedExport& walked_;
  double rate_;
  std::stop_token stop_;
  std::uint64_t first_call_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
};

class ClientWalk final : public WalkedExport {
 public:
  ClientWalk(nfs::ExportAddress address, const std::stop_token& stop)
      : client_(std::move(address), {}, stop), cancel_(stop, Cancel{&client_}) {}

  nfs::ExportFiles& files() override { return client_; }
  std::uint64_t calls() const override { return client_.handle_calls(); }

 private:
  struct Cancel {
    nfs::ExportClient* client;
    void operator()() const { client->cancel(); }
  };
  nfs::ExportClient client_;
  std::stop_callback<Cancel> cancel_;  // after client_: deregistered before it goes
};

}  // namespace

std::unique_ptr<WalkedExport> open_walk_client(const nfs::ExportAddress& address,
                                               std::stop_token stop) {
  nfs::ExportAddress walk_address = address;
  walk_address.timeout = std::min(address.timeout, kWalkCallTimeout);
  return std::make_unique<ClientWalk>(std::move(walk_address), stop);
}

VolumeUsageMeter::VolumeUsageMeter(WorkContext context, OpenWalkedExport open)
    : ctx_(std::move(context)), open_(std::move(open)) {}

void VolumeUsageMeter::measure(const VolumeVisitor& each_volume, const CacheView& caches,
                               std::stop_token stop) {
  const core::ProvisionerDefaults defaults = defaults_of(ctx_.options);
  std::map<std::string, std::pair<nfs::ExportAddress, std::vector<Volume>>> by_export;
  std::set<std::string> measured;
  each_volume([&](const json& pv) {
    if (!core::provisioned_by(pv, ctx_.options.provisioner_name)) return;
    if (string_field(field(pv, "status"), "phase") != "Bound") return;
    const auto storage_class =
        caches.storage_class(string_field(field(pv, "spec"), "storageClassName"));
    const auto* sc = storage_class ? &*storage_class : nullptr;
    auto location = core::volume_location(pv, sc, defaults);
    const auto* where = std::get_if<core::VolumeLocation>(&location);
    if (!where) return;
    const auto percent = core::usage_warning_percent(sc);
    const json& claim_ref = field(field(pv, "spec"), "claimRef");
    Volume volume{name_of(pv),
                  string_field(claim_ref, "namespace"),
                  string_field(claim_ref, "name"),
                  string_field(claim_ref, "uid"),
                  string_field(field(field(pv, "spec"), "capacity"), "storage"),
                  core::requested_bytes(pv),
                  where->directory,
                  std::holds_alternative<int>(percent) ? std::get<int>(percent) : 100};
    measured.insert(volume.pv_name);
    auto& entry = by_export[where->export_address.key()];
    entry.first = where->export_address;
    entry.second.push_back(std::move(volume));
  });
  for (const auto& [key, entry] : by_export) {
    if (stop.stop_requested() || !ctx_.may_act()) return;
    try {
      measure_export(entry.first, entry.second, caches, stop);
    } catch (const std::exception& e) {
      if (stop.stop_requested()) return;  // cancelled: nothing went wrong
      ctx_.logger.warn("cannot measure volumes",
                       {{"export", entry.first.display()}, {"error", e.what()}});
    }
  }
  // Volumes gone, unbound or no longer ours: their series go.
  for (auto it = over_.begin(); it != over_.end();) {
    if (measured.contains(it->first)) {
      ++it;
      continue;
    }
    ctx_.observer.volume_usage_forgotten(it->first);
    it = over_.erase(it);
  }
}

void VolumeUsageMeter::measure_export(const nfs::ExportAddress& address,
                                      const std::vector<Volume>& volumes, const CacheView& caches,
                                      std::stop_token stop) {
  const auto walked = open_(address, stop);
  auto& files = walked->files();
  const auto started = std::chrono::steady_clock::now();
  Pacer pace(*walked, ctx_.options.usage_ops_per_second, stop);
  std::uint64_t total = 0;
  for (const auto& volume : volumes) {
    const auto size = nfs::tree_size(files, volume.directory, kMaxEntries, [&] { return pace(); });
    if (stop.stop_requested() || !ctx_.may_act()) return;
    if (!files.exists(volume.directory)) continue;  // audit's "missing": nothing to measure
    total += size.bytes;
    report(volume, caches, size.bytes, size.entries + 1);
  }
  ctx_.observer.export_volumes_measured(address, total, pace.calls(),
                                        std::chrono::steady_clock::now() - started);
}

void VolumeUsageMeter::report(const Volume& volume, const CacheView& caches, std::uint64_t bytes,
                              std::uint64_t inodes) {
  const std::string& pv_name = volume.pv_name;
  const std::string& request_text = volume.request_text;
  const auto& requested = volume.requested;
  const bool over = requested && core::over_request(bytes, *requested, volume.percent);
  ctx_.observer.volume_usage({volume.claim_namespace, volume.claim_name, pv_name, bytes, inodes,
                              requested.value_or(0), over});
  const auto known = over_.find(pv_name);
  const auto news =
      core::usage_news(known == over_.end() ? std::nullopt : std::optional(known->second), over);
  over_[pv_name] = over;
  if (news == core::UsageNews::none) return;
  // The claim the volume is bound to, not a namesake made since.
  const auto claim = caches.claim(volume.claim_namespace + "/" + volume.claim_name);
  if (!claim || core::metadata_field(*claim, "uid") != volume.claim_uid) return;
  const auto object = InvolvedObject::of("PersistentVolumeClaim", *claim);
  const std::string message = core::over_request_message(request_text, volume.percent);
  ctx_.logger.info(
      "volume over its request",
      {{"pv", pv_name}, {"used_bytes", std::to_string(bytes)}, {"request", request_text}});
  // After a leader change the Warning of this crossing may be on the claim already.
  if (news == core::UsageNews::crossed)
    ctx_.events.record(object, EventType::warning, "UsageExceedsRequest", message);
  else
    ctx_.events.record_once(object, EventType::warning, "UsageExceedsRequest", message);
}

}  // namespace nfsprov::controller
