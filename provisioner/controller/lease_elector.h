// LeaseElector: leader election over a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection package does it, so replicas of ours and of nfs-subdir behave alike: one
// leader works, standbys poll every retry period, a leader that cannot renew for the renew
// deadline (or sees another holder) stops its work at once, and a leader that shuts down
// releases the Lease (holder cleared, duration 1 s) so a standby takes over within seconds.
#pragma once

#include <atomic>

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "provisioner/base/defaults.h"
#include "provisioner/controller/election_clock.h"
#include "provisioner/controller/lease_fence.h"
#include "provisioner/kube/kube_api.h"
#include "provisioner/log/log.h"

namespace nfsprov::controller {

struct LeaseElectorOptions {
  std::string lease_namespace;
  std::string lease_name;  // lease_name_for(provisioner name)
  std::string identity;    // make_identity(POD_NAME or hostname)
  std::chrono::milliseconds lease_duration = base::defaults::kLeaseDuration;
  std::chrono::milliseconds renew_deadline = base::defaults::kRenewDeadline;
  std::chrono::milliseconds retry_period = base::defaults::kRetryPeriod;
};

struct LeaderCallbacks {
  // Runs on its own thread while we lead; must return soon after stop is requested.
  std::function<void(std::stop_token)> on_started_leading;
  // After the work above has returned, whenever leadership ends (lost or released).
  std::function<void()> on_stopped_leading;
  // Whenever the observed holder changes (another replica, or us); "" = nobody.
  std::function<void(const std::string& holder)> on_new_leader;
};

class LeaseElector {
 public:
  // client, logger, fence and clock must outlive the elector. fence (optional) is opened by
  // every successful write of the Lease and revoked the moment leadership ends, before the
  // work is even told to stop. clock (optional, for tests): the time it campaigns by; the
  // fence's term is then judged by it too (LeaseFence::open_at).
  LeaseElector(kube::KubeApi& client, LeaseElectorOptions options, log::Logger& logger,
               LeaseFence* fence = nullptr, ElectionClock* clock = nullptr);

  // Campaigns until stop is requested: acquire, lead (running on_started_leading), and on
  // loss stop the work and campaign again. On stop: stops the work, releases the Lease if
  // held, and returns.
  void run(std::stop_token stop, const LeaderCallbacks& callbacks);

  const LeaseElectorOptions& options() const { return options_; }
  // False while the last read or write of the Lease failed on the API (unreachable, 403):
  // a standby that cannot even see the Lease is not ready to take over.
  bool api_ok() const { return api_ok_.load(); }

 private:
  enum class Attempt { acquired, held_by_other, failed };
  Attempt try_acquire_or_renew();
  void release();

  kube::KubeApi& client_;
  LeaseElectorOptions options_;
  log::Logger& logger_;
  LeaseFence* fence_;
  SystemElectionClock system_clock_;
  ElectionClock& clock_;  // system_clock_ unless one was given
  // When the last successful write of the Lease was sent (the fence's term starts there).
  std::chrono::steady_clock::time_point last_write_started_{};
  // What we last saw of the Lease, and when (our clock: a lease expires by when WE saw its
  // last change, never by the holder's timestamps, so clock skew cannot steal it).
  nlohmann::json observed_spec_;
  std::chrono::steady_clock::time_point observed_time_{};
  std::atomic<bool> api_ok_{true};
};

// The Lease name for a provisioner name: "/" becomes "-", as the Go library does
// ("k8s-sigs.io/nfs-subdir-external-provisioner" -> "k8s-sigs.io-nfs-subdir-external-provisioner").
std::string lease_name_for(std::string_view provisioner_name);
// "<name>_<random UUID>", unique per process even for two replicas with one host name.
std::string make_identity(std::string_view name);
// Kubernetes MicroTime: "2026-11-25T15:18:28.123456Z".
std::string format_micro_time(std::chrono::system_clock::time_point t);

}  // namespace nfsprov::controller
