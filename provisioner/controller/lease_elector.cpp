#include "provisioner/controller/lease_elector.h"

#include <atomic>
#include <thread>

#include "provisioner/base/text.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::controller {

namespace {

long long whole_seconds_up(std::chrono::milliseconds d) {
  auto s = (d.count() + 999) / 1000;
  return s < 1 ? 1 : s;
}

}  // namespace

std::string lease_name_for(std::string_view provisioner_name) {
  std::string name(provisioner_name);
  for (char& c : name)
    if (c == '/') c = '-';
  return name;
}

std::string make_identity(std::string_view name) {
  // A random (version 4) UUID, as the Go library appends to the host name: 4 is its version
  // nibble, 8 to b its variant nibble.
  static constexpr char kVariant[] = "89ab";
  std::string uuid = base::random_hex(32);
  uuid[12] = '4';
  uuid[16] = kVariant[std::string_view("0123456789abcdef").find(uuid[16]) & 3];
  for (std::size_t at : {20, 16, 12, 8}) uuid.insert(at, 1, '-');
  return std::string(name) + "_" + uuid;
}

std::string format_micro_time(std::chrono::system_clock::time_point t) {
  return base::utc_timestamp(t, 6);
}

LeaseElector::LeaseElector(kube::KubeApi& client, LeaseElectorOptions options, log::Logger& logger,
                           LeaseFence* fence, ElectionClock* clock)
    : client_(client),
      options_(std::move(options)),
      logger_(logger),
      fence_(fence),
      clock_(clock ? *clock : system_clock_) {}

LeaseElector::Attempt LeaseElector::try_acquire_or_renew() {
  const std::string lease_ref = options_.lease_namespace + "/" + options_.lease_name;
  auto now = clock_.wall_now();
  nlohmann::json record = {
      {"holderIdentity", options_.identity},
      {"leaseDurationSeconds", whole_seconds_up(options_.lease_duration)},
      {"acquireTime", format_micro_time(now)},
      {"renewTime", format_micro_time(now)},
      {"leaseTransitions", 0},
  };

  nlohmann::json lease;
  try {
    lease = client_.get(kube::kLeases, options_.lease_namespace, options_.lease_name);
  } catch (const kube::ApiError& e) {
    if (e.kind() != kube::ApiErrorKind::not_found) {
      logger_.warn("cannot read lease", {{"lease", lease_ref}, {"error", e.what()}});
      api_ok_ = false;
      return Attempt::failed;
    }
    nlohmann::json fresh = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", options_.lease_name}, {"namespace", options_.lease_namespace}}},
        {"spec", record},
    };
    const auto write_started = clock_.now();
    try {
      lease = client_.create(kube::kLeases, options_.lease_namespace, fresh);
    } catch (const kube::ApiError& e2) {
      // AlreadyExists: another replica created it first; it wins this round.
      if (e2.kind() == kube::ApiErrorKind::already_exists) {
        logger_.debug("cannot create lease", {{"lease", lease_ref}, {"error", e2.what()}});
      } else {
        logger_.warn("cannot create lease", {{"lease", lease_ref}, {"error", e2.what()}});
        api_ok_ = false;
      }
      return Attempt::failed;
    }
    api_ok_ = true;
    observed_spec_ = lease.value("spec", nlohmann::json::object());
    observed_time_ = clock_.now();
    last_write_started_ = write_started;
    return Attempt::acquired;
  }

  nlohmann::json spec = lease.value("spec", nlohmann::json::object());
  if (spec != observed_spec_) {
    observed_spec_ = spec;
    observed_time_ = clock_.now();
  }
  api_ok_ = true;
  std::string holder = spec.value("holderIdentity", "");
  if (!holder.empty() && holder != options_.identity) {
    auto duration = std::chrono::seconds(spec.value("leaseDurationSeconds", 0));
    if (observed_time_ + duration > clock_.now()) return Attempt::held_by_other;
  }
  if (holder == options_.identity) {
    record["acquireTime"] = spec.value("acquireTime", record["acquireTime"].get<std::string>());
    record["leaseTransitions"] = spec.value("leaseTransitions", 0);
  } else {
    record["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  lease["spec"] = record;
  const auto write_started = clock_.now();
  try {
    // The GET's resourceVersion rides along: a concurrent writer makes this a 409.
    lease = client_.update(kube::kLeases, lease);
  } catch (const kube::ApiError& e) {
    if (e.kind() == kube::ApiErrorKind::conflict) {
      logger_.debug("lease changed under us", {{"lease", lease_ref}});
    } else {
      logger_.warn("cannot update lease", {{"lease", lease_ref}, {"error", e.what()}});
      api_ok_ = false;
    }
    return Attempt::failed;
  }
  observed_spec_ = lease.value("spec", nlohmann::json::object());
  observed_time_ = clock_.now();
  last_write_started_ = write_started;
  return Attempt::acquired;
}

void LeaseElector::release() {
  const std::string lease_ref = options_.lease_namespace + "/" + options_.lease_name;
  try {
    auto lease = client_.get(kube::kLeases, options_.lease_namespace, options_.lease_name);
    auto spec = lease.value("spec", nlohmann::json::object());
    if (spec.value("holderIdentity", "") != options_.identity) return;
    auto now = format_micro_time(clock_.wall_now());
    // client-go's ReleaseOnCancel: nobody holds it, and it is stale after a second.
    spec["holderIdentity"] = "";
    spec["leaseDurationSeconds"] = 1;
    spec["acquireTime"] = now;
    spec["renewTime"] = now;
    lease["spec"] = spec;
    client_.update(kube::kLeases, lease);
    logger_.info("released lease", {{"lease", lease_ref}, {"identity", options_.identity}});
  } catch (const kube::ApiError& e) {
    // It expires by itself after the lease duration; a standby waits that long.
    logger_.warn("cannot release lease", {{"lease", lease_ref}, {"error", e.what()}});
  }
}

void LeaseElector::run(std::stop_token stop, const LeaderCallbacks& callbacks) {
  const std::string lease_ref = options_.lease_namespace + "/" + options_.lease_name;
  std::string reported_holder = "\x01";  // nothing reported yet
  auto report_holder = [&] {
    std::string holder =
        observed_spec_.is_object() ? observed_spec_.value("holderIdentity", "") : std::string();
    if (holder == reported_holder) return;
    reported_holder = holder;
    if (!holder.empty() && holder != options_.identity)
      logger_.info("another replica leads", {{"lease", lease_ref}, {"holder", holder}});
    if (callbacks.on_new_leader) callbacks.on_new_leader(holder);
  };

  logger_.info("waiting for leadership", {{"lease", lease_ref}, {"identity", options_.identity}});
  while (!stop.stop_requested()) {
    Attempt attempt = Attempt::failed;
    while (!stop.stop_requested()) {
      attempt = try_acquire_or_renew();
      report_holder();
      if (attempt == Attempt::acquired) break;
      if (!clock_.sleep_for(stop, options_.retry_period)) break;
    }
    if (attempt != Attempt::acquired) break;
    if (fence_) fence_->renewed(last_write_started_);

    logger_.info("became leader", {{"lease", lease_ref}, {"identity", options_.identity}});
    auto last_renew = clock_.now();
    std::atomic<bool> work_ended{false};
    std::jthread work([&](std::stop_token work_stop) {
      try {
        if (callbacks.on_started_leading) callbacks.on_started_leading(work_stop);
      } catch (const std::exception& e) {
        logger_.error("leader work failed", {{"error", e.what()}});
      }
      work_ended = true;
    });

    std::string lost_reason;
    while (clock_.sleep_for(stop, options_.retry_period)) {
      if (work_ended) {
        lost_reason = "work ended by itself";
        break;
      }
      attempt = try_acquire_or_renew();
      report_holder();
      if (attempt == Attempt::acquired) {
        last_renew = clock_.now();
        if (fence_) fence_->renewed(last_write_started_);
      } else if (attempt == Attempt::held_by_other) {
        lost_reason = "another replica holds the lease";
        break;
      } else if (clock_.now() - last_renew >= options_.renew_deadline) {
        lost_reason = "not renewed within the renew deadline";
        break;
      }
    }
    // Stop the work before anything else: past this point another replica may lead. The
    // fence closes first: a step in flight checks it before its next change, whereas the stop
    // is only seen between steps.
    if (fence_) fence_->revoke();
    work.request_stop();
    work.join();
    if (lost_reason.empty() || lost_reason == "work ended by itself") release();
    if (!lost_reason.empty())
      logger_.error("leadership lost, work stopped",
                    {{"lease", lease_ref}, {"reason", lost_reason}});
    if (callbacks.on_stopped_leading) callbacks.on_stopped_leading();
    if (!lost_reason.empty() && !clock_.sleep_for(stop, options_.retry_period)) break;
  }
}

}  // namespace nfsprov::controller
