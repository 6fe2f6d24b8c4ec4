// The operations endpoint: /healthz (liveness), /readyz (readiness) and /metrics on one
// cpp-httplib server, e.g. --metrics-address=:8080.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "provisioner/log/log.h"
#include "provisioner/ops/metrics.h"

namespace httplib {
class Server;
}

namespace nfsprov::ops {

struct ListenAddress {
  std::string host;  // "0.0.0.0" when the text gave none; IPv6 without brackets
  int port = 0;      // 0: any free port (tests)
};

// Parses "host:port", ":port" or "[v6]:port" with base::parse_host_port, the function the
// settings validate --metrics-address with. Throws std::invalid_argument with the reason.
// main treats an empty flag value as "no endpoint" before calling this.
ListenAddress parse_listen_address(std::string_view text);

struct CheckOutcome {
  bool ok = false;
  std::string detail;
};

// What /healthz and /readyz answer: every check, one per line.
struct CheckReport {
  bool ok = true;    // every check ok (no checks: ok)
  std::string text;  // "ok <name>: <detail>" / "FAIL <name>: <detail>", one per line
};

// Liveness: named checks of the long-running loops (the controller's informers and workers),
// judged at a given instant. A loop proves itself by progress (an event, a finished step), so
// a wedged thread fails the check and the kubelet restarts the pod; an idle one does not.
using LivenessCheck = std::function<CheckOutcome(std::chrono::steady_clock::time_point now)>;

class LivenessRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  LivenessRegistry() = default;
  LivenessRegistry(const LivenessRegistry&) = delete;
  LivenessRegistry& operator=(const LivenessRegistry&) = delete;

  // Checks run on the HTTP thread for every /healthz request: keep them quick. A check that
  // throws counts as failed.
  void add(std::string name, LivenessCheck check);

  using Report = CheckReport;
  Report check(Clock::time_point now = Clock::now()) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, LivenessCheck>> checks_;
};

// Readiness: named checks main wires (the controller's caches synced, the API answers, no
// RBAC refusal; as leader, the default export answers).
using ReadinessCheck = std::function<CheckOutcome()>;

class ReadinessRegistry {
 public:
  // Checks run on the HTTP thread for every /readyz request: keep them quick (return cached
  // state; probe NFS in the background). A check that throws counts as failed.
  void add(std::string name, ReadinessCheck check);

  using Report = CheckReport;
  Report evaluate() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, ReadinessCheck>> checks_;
};

class HealthServer {
 public:
  // Binds at once (throws std::runtime_error when the address cannot be bound) and serves on
  // its own thread. The registries and logger must outlive the server.
  HealthServer(const ListenAddress& address, const MetricsRegistry& metrics,
               const LivenessRegistry& liveness, const ReadinessRegistry& readiness,
               log::Logger& logger);
  // Stops the server and joins its thread.
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  int port() const { return port_; }  // the bound port (useful with port 0)

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::atomic<bool> listen_ended_{false};
  std::thread thread_;
};

}  // namespace nfsprov::ops
