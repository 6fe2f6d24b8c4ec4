// LeaseElector on the in-memory API and a manual clock: acquiring, renewing, losing the
// Lease, and two replicas that never lead at once, played out step by step. After each
// advance of the clock the test waits until every elector sleeps again (ManualClock), so
// every assertion is on a settled state, judged at the clock's time.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "provisioner/controller/lease_elector.h"
#include "provisioner/controller/lease_fence.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"
#include "provisioner/log/log.h"
#include "test/fakes/fake_kube_api.h"
#include "test/fakes/manual_clock.h"

using namespace nfsprov;
using namespace std::chrono_literals;

namespace {

constexpr auto kLeaseDuration = 15s;
constexpr auto kRenewDeadline = 10s;
constexpr auto kRetryPeriod = 2s;

// One replica's way to the API, which the test can cut (a network partition) or freeze (every
// call hangs until thawed: a process stopped mid-call, as SIGSTOP or a paused VM does it).
class Link final : public kube::KubeApi {
 public:
  explicit Link(kube::KubeApi& api) : api_(api) {}
  void cut(bool cut) { cut_ = cut; }
  void freeze(bool freeze) {
    {
      std::lock_guard lock(mutex_);
      frozen_ = freeze;
    }
    thawed_.notify_all();
  }

  nlohmann::json get(const kube::Resource& r, std::string_view ns, std::string_view name) override {
    check();
    return api_.get(r, ns, name);
  }
  nlohmann::json create(const kube::Resource& r, std::string_view ns,
                        const nlohmann::json& object) override {
    check();
    return api_.create(r, ns, object);
  }
  nlohmann::json update(const kube::Resource& r, const nlohmann::json& object) override {
    check();
    return api_.update(r, object);
  }
  nlohmann::json merge_patch(const kube::Resource& r, std::string_view ns, std::string_view name,
                             const nlohmann::json& patch) override {
    check();
    return api_.merge_patch(r, ns, name, patch);
  }
  nlohmann::json merge_patch_status(const kube::Resource& r, std::string_view ns,
                                    std::string_view name, const nlohmann::json& patch) override {
    check();
    return api_.merge_patch_status(r, ns, name, patch);
  }
  void remove(const kube::Resource& r, std::string_view ns, std::string_view name,
              std::optional<std::string> uid) override {
    check();
    api_.remove(r, ns, name, std::move(uid));
  }

 private:
  void check() {
    {
      std::unique_lock lock(mutex_);
      thawed_.wait(lock, [this] { return !frozen_; });
    }
    if (cut_) throw kube::ApiError(kube::ApiErrorKind::transport, 0, "", "connection refused");
  }
  kube::KubeApi& api_;
  std::atomic<bool> cut_{false};
  std::mutex mutex_;
  std::condition_variable thawed_;
  bool frozen_ = false;
};

// One replica campaigning on its own thread.
class Replica {
 public:
  Replica(kube::KubeApi& api, fakes::ManualClock& clock, const std::string& identity)
      : clock_(clock),
        link_(api),
        fence_(kRenewDeadline),
        elector_(link_, options(identity), logger_, &fence_, &clock) {}
  ~Replica() { stop(); }
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  void start() {
    thread_ = std::jthread([this](std::stop_token stop) {
      controller::LeaderCallbacks callbacks;
      callbacks.on_started_leading = [this](std::stop_token work_stop) {
        bump(started_);
        // Works until told to stop, as the controller does.
        std::unique_lock lock(mutex_);
        changed_.wait(lock, work_stop, [] { return false; });
      };
      callbacks.on_stopped_leading = [this] { bump(stopped_); };
      callbacks.on_new_leader = [this](const std::string& holder) {
        std::lock_guard lock(mutex_);
        last_holder_ = holder;
      };
      elector_.run(stop, callbacks);
    });
  }
  void stop() {
    link_.freeze(false);  // a frozen elector could not see the stop
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }
  // Its fence, judged at the clock's time: what its workers would be allowed to do.
  bool leads() const { return fence_.open_at(clock_.now()); }
  // Waits until its work was started (or stopped) at least n times.
  bool wait_started(int n) { return wait_for(started_, n); }
  int started() {
    std::lock_guard lock(mutex_);
    return started_;
  }
  int stopped() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  std::string last_holder() {
    std::lock_guard lock(mutex_);
    return last_holder_;
  }
  void cut(bool cut) { link_.cut(cut); }
  void freeze(bool freeze) { link_.freeze(freeze); }
  std::string log_text() const { return log_text_.str(); }

 private:
  static controller::LeaseElectorOptions options(const std::string& identity) {
    controller::LeaseElectorOptions o;
    o.lease_namespace = "kube-system";
    o.lease_name = "example.com-nfs";
    o.identity = identity;
    o.lease_duration = kLeaseDuration;
    o.renew_deadline = kRenewDeadline;
    o.retry_period = kRetryPeriod;
    return o;
  }
  void bump(int& counter) {
    {
      std::lock_guard lock(mutex_);
      ++counter;
    }
    changed_.notify_all();
  }
  bool wait_for(const int& counter, int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return counter >= n; });
  }

  fakes::ManualClock& clock_;
  Link link_;
  std::ostringstream log_text_;
  log::Logger logger_{log_text_, log::Level::debug};
  controller::LeaseFence fence_;
  controller::LeaseElector elector_;
  std::mutex mutex_;
  std::condition_variable_any changed_;
  int started_ = 0;
  int stopped_ = 0;
  std::string last_holder_;
  std::jthread thread_;  // last: stopped before what it uses goes
};

// The API and the clock the replicas of a test campaign on.
struct Election {
  // The Lease's holder now ("<none>" without a Lease).
  std::string holder() const {
    const auto lease = api.find(kube::kLeases, "kube-system", "example.com-nfs");
    return lease ? (*lease)["spec"].value("holderIdentity", "") : std::string("<none>");
  }
  // Starts replica, then waits until it and the others running sleep: `running` in all.
  void start(Replica& replica, std::size_t running) {
    replica.start();
    REQUIRE(clock.wait_for_sleepers(running));
  }
  // Advances the clock by step, then waits until `running` electors sleep again.
  void advance(std::chrono::milliseconds step, std::size_t running) {
    clock.advance(step);
    REQUIRE(clock.wait_for_sleepers(running));
  }

  fakes::FakeKubeApi api;
  fakes::ManualClock clock;
};

}  // namespace

TEST_CASE_METHOD(Election, "lease elector: acquires a free Lease and starts the work", "[lease]") {
  Replica a(api, clock, "a");

  start(a, 1);

  CHECK(holder() == "a");
  CHECK(a.leads());
  REQUIRE(a.wait_started(1));
  CHECK(a.last_holder() == "a");
}

TEST_CASE_METHOD(Election, "lease elector: renews every retry period and keeps leading",
                 "[lease]") {
  Replica a(api, clock, "a");
  start(a, 1);

  for (int round = 1; round <= 10; ++round) {
    advance(kRetryPeriod, 1);
    CHECK(api.count("update", kube::kLeases) == static_cast<std::size_t>(round));
    CHECK(a.leads());
  }
  CHECK(a.stopped() == 0);
  CHECK(holder() == "a");
}

TEST_CASE_METHOD(Election, "lease elector: a leader that cannot renew stops at the renew deadline",
                 "[lease]") {
  Replica a(api, clock, "a");
  start(a, 1);
  REQUIRE(a.wait_started(1));

  a.cut(true);
  const auto cut_at = clock.now();  // its last write of the Lease
  while (clock.now() - cut_at < kRenewDeadline) {
    CHECK(a.leads());
    CHECK(a.stopped() == 0);
    advance(kRetryPeriod, 1);
  }
  // At the deadline its fence is closed, and the elector has stopped the work.
  CHECK_FALSE(a.leads());
  CHECK(a.stopped() == 1);
  CHECK_THAT(a.log_text(), Catch::Contains("not renewed within the renew deadline"));

  // Back on the network: the Lease is still its own, and it leads again.
  a.cut(false);
  advance(kRetryPeriod, 1);
  CHECK(a.leads());
  REQUIRE(a.wait_started(2));
}

TEST_CASE_METHOD(Election,
                 "lease elector: a fresh Lease of another holder is respected until it expires",
                 "[lease]") {
  api.put(kube::kLeases, {{"metadata", {{"name", "example.com-nfs"}, {"namespace", "kube-system"}}},
                          {"spec", {{"holderIdentity", "b"}, {"leaseDurationSeconds", 15}}}});
  Replica a(api, clock, "a");
  start(a, 1);
  CHECK(a.last_holder() == "b");

  // b never renews: a takes over once it has seen the Lease unchanged for its duration.
  const auto seen_at = clock.now();
  while (clock.now() - seen_at < kLeaseDuration) {
    CHECK_FALSE(a.leads());
    CHECK(holder() == "b");
    advance(kRetryPeriod, 1);
  }
  CHECK(holder() == "a");
  CHECK(a.leads());
  REQUIRE(a.wait_started(1));
}

TEST_CASE_METHOD(Election, "lease elector: a leader that sees another holder stops at once",
                 "[lease]") {
  Replica a(api, clock, "a");
  start(a, 1);
  REQUIRE(a.wait_started(1));

  auto lease = *api.find(kube::kLeases, "kube-system", "example.com-nfs");
  lease["spec"]["holderIdentity"] = "b";
  api.put(kube::kLeases, lease);
  advance(kRetryPeriod, 1);

  CHECK(a.stopped() == 1);
  CHECK_FALSE(a.leads());
  CHECK(a.last_holder() == "b");
  CHECK(holder() == "b");  // lost, not released: b's Lease is left as it is
}

TEST_CASE_METHOD(Election, "lease elector: a leader that shuts down releases the Lease to the next",
                 "[lease]") {
  Replica a(api, clock, "a");
  Replica b(api, clock, "b");
  start(a, 1);
  start(b, 2);
  REQUIRE(a.leads());

  a.stop();
  CHECK(a.stopped() == 1);
  CHECK(holder().empty());
  advance(kRetryPeriod, 1);  // b's next attempt, long before a's lease would expire

  CHECK(holder() == "b");
  CHECK(b.leads());
  REQUIRE(b.wait_started(1));
}

TEST_CASE_METHOD(Election, "lease elector: two replicas on one API never both lead",
                 "[lease][split-brain]") {
  Replica a(api, clock, "a");
  Replica b(api, clock, "b");
  a.start();
  start(b, 2);
  REQUIRE(a.leads() != b.leads());  // exactly one won the create
  Replica& first = a.leads() ? a : b;
  Replica& second = a.leads() ? b : a;

  // Undisturbed, the leader stays the leader.
  for (int second_count = 0; second_count < 30; ++second_count) {
    advance(1s, 2);
    REQUIRE(first.leads());
    REQUIRE_FALSE(second.leads());
  }

  // The leader is cut off from the API but runs on (a partition, not a crash). At no moment
  // may both act: the old leader's fence closes before the other can take the Lease.
  first.cut(true);
  bool second_took_over = false;
  for (int second_count = 0; second_count < 60; ++second_count) {
    advance(1s, 2);
    REQUIRE_FALSE((first.leads() && second.leads()));
    second_took_over = second_took_over || second.leads();
  }
  REQUIRE(second_took_over);
  CHECK(first.stopped() == 1);
  REQUIRE(second.wait_started(1));

  // The partition heals: the old leader finds the Lease taken and stays a standby.
  first.cut(false);
  for (int second_count = 0; second_count < 30; ++second_count) {
    advance(1s, 2);
    REQUIRE_FALSE(first.leads());
    REQUIRE(second.leads());
  }
  CHECK(first.started() == 1);
}

TEST_CASE_METHOD(Election,
                 "lease elector: a leader frozen mid-renew is fenced off before another takes over",
                 "[lease][split-brain]") {
  Replica a(api, clock, "a");
  Replica b(api, clock, "b");
  start(a, 1);
  start(b, 2);
  REQUIRE(a.leads());
  REQUIRE(a.wait_started(1));

  // a's next renewal hangs: its elector cannot notice anything, only its fence judges by time.
  a.freeze(true);
  bool b_took_over = false;
  for (int step = 0; step < 20; ++step) {
    advance(kRetryPeriod, 1);  // b sleeps again; a hangs in its call
    REQUIRE_FALSE((a.leads() && b.leads()));
    b_took_over = b_took_over || b.leads();
  }
  REQUIRE(b_took_over);
  CHECK(a.stopped() == 0);  // its elector is still stuck...
  CHECK_FALSE(a.leads());   // ...but its workers may do nothing

  // a wakes up: its late renewal finds b's Lease, and it stops its work.
  a.freeze(false);
  REQUIRE(clock.wait_for_sleepers(2));
  CHECK(a.stopped() == 1);
  CHECK_FALSE(a.leads());
  CHECK(b.leads());
  CHECK(holder() == "b");
}
