// Leader election against the project's test API server: two electors, one Lease.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "provisioner/controller/lease_elector.h"
#include "provisioner/kube/api_client.h"
#include "provisioner/kube/kube_config.h"
#include "test/apiserver/test_apiserver.h"
#include "test/support/eventually.h"
#include "test/support/temp_dir.h"

using namespace nfsprov;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kRenewDeadline = 1500ms;

// One replica: its own client (as each pod has), elector and thread.
class Replica {
 public:
  Replica(const testing::TestApiServer& server, std::string name,
          std::chrono::milliseconds lease_duration = 15s)
      : client_(kube::load_kubeconfig_file(server.kubeconfig_path()), client_options()),
        logger_(log_, log::Level::debug),
        fence_(kRenewDeadline),
        elector_(client_,
                 {.lease_namespace = "default",
                  .lease_name = controller::lease_name_for("example.com/nfs"),
                  .identity = controller::make_identity(name),
                  .lease_duration = lease_duration,
                  .renew_deadline = kRenewDeadline,
                  .retry_period = 250ms},
                 logger_, &fence_) {}
  ~Replica() { stop(); }

  void start() {
    thread_ = std::jthread([this](std::stop_token stop) {
      elector_.run(stop, {.on_started_leading =
                              [this](std::stop_token work) {
                                ++starts_;
                                // Opened before the work starts, never after.
                                if (!fence_.open()) ++closed_at_start_;
                                leading_ = true;
                                std::mutex m;
                                std::condition_variable_any cv;
                                std::unique_lock lock(m);
                                cv.wait(lock, work, [] { return false; });
                                leading_ = false;
                              },
                          .on_stopped_leading = [this] { ++stops_; },
                          .on_new_leader = {}});
    });
  }
  void stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }
  bool leading() const { return leading_; }
  bool fence_open() const { return fence_.open(); }
  int closed_at_start() const { return closed_at_start_; }
  int starts() const { return starts_; }
  int stops() const { return stops_; }
  const std::string& identity() const { return elector_.options().identity; }

 private:
  static kube::ClientOptions client_options() {
    kube::ClientOptions o;
    o.request_timeout = 1s;
    o.max_retries = 0;
    return o;
  }
  kube::ApiClient client_;
  std::ostringstream log_;
  log::Logger logger_;
  controller::LeaseFence fence_;
  controller::LeaseElector elector_;
  std::atomic<bool> leading_{false};
  std::atomic<int> closed_at_start_{0};
  std::atomic<int> starts_{0}, stops_{0};
  std::jthread thread_;
};

using nfsprov::testing::eventually;

// Reads of the Lease the API server logged so far (a campaign starts with one, a renewal too).
std::size_t lease_reads(const std::filesystem::path& audit_log) {
  std::ifstream in(audit_log);
  std::size_t reads = 0;
  for (std::string line; std::getline(in, line);) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_object() && entry.value("verb", "") == "get" &&
        entry.value("resource", "") == "leases")
      ++reads;
  }
  return reads;
}

nlohmann::json read_lease(kube::ApiClient& client) {
  return client.get(kube::kLeases, "default", "example.com-nfs");
}

}  // namespace

TEST_CASE("lease names and times follow the Go library") {
  CHECK(controller::lease_name_for("k8s-sigs.io/nfs-subdir-external-provisioner") ==
        "k8s-sigs.io-nfs-subdir-external-provisioner");
  auto id = controller::make_identity("nfs-7d9");
  CHECK(std::regex_match(
      id,
      std::regex("nfs-7d9_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(controller::make_identity("x") != controller::make_identity("x"));
  std::chrono::sys_days day = std::chrono::year{2026} / 11 / 25;
  auto t = day + 15h + 18min + 28s + 123456us;
  CHECK(controller::format_micro_time(t) == "2026-11-25T15:18:28.123456Z");
  CHECK(controller::format_micro_time(day) == "2026-11-25T00:00:00.000000Z");
}

TEST_CASE("one of two electors leads, and on release the other takes over within seconds") {
  testing::TestApiServer server;
  kube::ApiClient admin(kube::load_kubeconfig_file(server.kubeconfig_path()));
  auto a = std::make_unique<Replica>(server, "a");
  auto b = std::make_unique<Replica>(server, "b");
  a->start();
  b->start();
  REQUIRE(eventually([&] { return a->leading() || b->leading(); }, 10s));
  // Never both, over many retry periods.
  for (int i = 0; i < 50; ++i) {
    CHECK_FALSE((a->leading() && b->leading()));
    std::this_thread::sleep_for(20ms);
  }
  auto& leader = a->leading() ? a : b;
  auto& standby = a->leading() ? b : a;
  CHECK(leader->fence_open());
  CHECK(leader->closed_at_start() == 0);
  CHECK_FALSE(standby->fence_open());
  auto spec = read_lease(admin)["spec"];
  CHECK(spec["holderIdentity"] == leader->identity());
  CHECK(spec["leaseDurationSeconds"] == 15);
  CHECK(spec["leaseTransitions"] == 0);
  std::regex micro(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  CHECK(std::regex_match(spec["renewTime"].get<std::string>(), micro));
  CHECK(std::regex_match(spec["acquireTime"].get<std::string>(), micro));
  // The leader keeps renewing.
  auto first_renew = spec["renewTime"].get<std::string>();
  REQUIRE(eventually(
      [&] { return read_lease(admin)["spec"]["renewTime"].get<std::string>() != first_renew; },
      3s));

  auto released_at = Clock::now();
  leader->stop();
  CHECK(leader->stops() == 1);
  CHECK_FALSE(leader->leading());
  CHECK_FALSE(leader->fence_open());
  // A 15 s lease: taking over in well under that proves the release, not expiry, did it.
  REQUIRE(eventually([&] { return standby->leading(); }, 5s));
  CHECK(Clock::now() - released_at < 5s);
  spec = read_lease(admin)["spec"];
  CHECK(spec["holderIdentity"] == standby->identity());
  CHECK(spec["leaseTransitions"] == 1);
  CHECK(spec["leaseDurationSeconds"] == 15);

  standby->stop();
  spec = read_lease(admin)["spec"];
  CHECK(spec["holderIdentity"] == "");
  CHECK(spec["leaseDurationSeconds"] == 1);
}

TEST_CASE("a leader whose lease is taken by another holder stops at once") {
  const testing::TempDir dir("np-lease-test");
  const auto audit_log = dir.path() / "audit.log";
  testing::TestApiServer server({.audit_log = audit_log});
  kube::ApiClient admin(kube::load_kubeconfig_file(server.kubeconfig_path()));
  Replica a(server, "a");
  a.start();
  REQUIRE(eventually([&] { return a.leading(); }, 10s));
  auto lease = read_lease(admin);
  lease["spec"]["holderIdentity"] = "thief";
  lease["spec"]["leaseDurationSeconds"] = 60;
  admin.update(kube::kLeases, lease);
  REQUIRE(eventually([&] { return !a.leading(); }, 3s));
  CHECK(a.stops() == 1);
  CHECK_FALSE(a.fence_open());
  // The thief's lease is valid for a minute: no campaign may win it meanwhile. Two more reads
  // of the Lease (every 250 ms) show that at least one campaign looked at it and ended before
  // the check: one that took the Lease would have started the work by then.
  const std::size_t reads = lease_reads(audit_log);
  REQUIRE(eventually([&] { return lease_reads(audit_log) >= reads + 2; }, 5s));
  CHECK_FALSE(a.leading());
  CHECK(a.starts() == 1);
  a.stop();
  // Not ours: shutting down must leave the thief's lease alone.
  CHECK(read_lease(admin)["spec"]["holderIdentity"] == "thief");
}

TEST_CASE("a leader that cannot renew past the renew deadline stops its work") {
  testing::TestApiServer server;
  Replica a(server, "a");
  a.start();
  REQUIRE(eventually([&] { return a.leading(); }, 10s));
  server.inject({{"status", 503}, {"count", 1000000}});
  // The fence closes by itself the renew deadline after the last renewal, before or as the
  // elector stops the work (renew deadline 1.5 s, retry 250 ms, each call failing fast).
  REQUIRE(eventually([&] { return !a.fence_open(); }, 6s));
  REQUIRE(eventually([&] { return !a.leading(); }, 6s));
  CHECK(a.stops() == 1);
  server.inject({{"clear", true}});
  // The API is back and the lease is still its own: it leads again.
  REQUIRE(eventually([&] { return a.leading(); }, 10s));
  CHECK(a.starts() == 2);
  CHECK(a.fence_open());
  CHECK(a.closed_at_start() == 0);
}

TEST_CASE("a standby does not take over a live lease and takes an expired one") {
  testing::TestApiServer server;
  kube::ApiClient admin(kube::load_kubeconfig_file(server.kubeconfig_path()));
  admin.create(kube::kLeases, "default",
               {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "example.com-nfs"}, {"namespace", "default"}}},
                {"spec",
                 {{"holderIdentity", "crashed-replica"},
                  {"leaseDurationSeconds", 2},
                  {"leaseTransitions", 4},
                  {"renewTime", "2026-01-01T00:00:00.000000Z"}}}});
  Replica b(server, "b", 3s);
  auto started = Clock::now();
  b.start();
  std::this_thread::sleep_for(1s);
  // Judged by when b first saw it (not by the holder's clock): 2 s must pass.
  CHECK_FALSE(b.leading());
  REQUIRE(eventually([&] { return b.leading(); }, 8s));
  CHECK(Clock::now() - started >= 2s);
  auto spec = read_lease(admin)["spec"];
  CHECK(spec["holderIdentity"] == b.identity());
  CHECK(spec["leaseTransitions"] == 5);
}
