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

// Parses "host:port", ":port" or "[v6]:port" with config::parse_host_port, the function the
// settings validate --metrics-address with. Throws std::invalid_argument with the reason.
// main treats an empty flag value as "no endpoint" before calling this.
ListenAddress parse_listen_address(std::string_view text);

// Liveness: each long-running loop registers and ticks at least once per allowed silence.
class LivenessRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  // RAII registration: while it lives the loop is watched; destroying it (the loop ended on
  // purpose, e.g. on shutdown) stops watching. Must not outlive the registry.
  class Loop {
   public:
    Loop(Loop&&) noexcept;
    Loop& operator=(Loop&&) = delete;
    Loop(const Loop&) = delete;
    ~Loop();
    void tick();  // lock-free; call from the loop's own thread

   private:
    friend class LivenessRegistry;
    struct State;
    Loop(LivenessRegistry* registry, std::shared_ptr<State> state);
    LivenessRegistry* registry_;
    std::shared_ptr<State> state_;
  };

  LivenessRegistry() = default;
  LivenessRegistry(const LivenessRegistry&) = delete;
  LivenessRegistry& operator=(const LivenessRegistry&) = delete;

  // Starts watching name (it counts as ticked now). Names must be unique among live loops
  // (std::invalid_argument otherwise).
  Loop watch(std::string name, std::chrono::milliseconds allowed_silence);

  struct Report {
    bool ok = true;
    std::string
        text;  // one line per loop: "ok <name>" or "FAIL <name>: silent for 95s (allowed 60s)"
  };
  Report check(Clock::time_point now = Clock::now()) const;

 private:
  void forget(const std::shared_ptr<Loop::State>& state);
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Loop::State>> loops_;
};

// Readiness: named checks main wires (informers synced; when leader, NFS exports answer).
struct CheckOutcome {
  bool ok = false;
  std::string detail;
};
using ReadinessCheck = std::function<CheckOutcome()>;

class ReadinessRegistry {
 public:
  // Checks run on the HTTP thread for every /readyz request: keep them quick (return cached
  // state; probe NFS in the background). A check that throws counts as failed.
  void add(std::string name, ReadinessCheck check);

  struct Report {
    bool ok = true;    // every check ok (no checks: ok)
    std::string text;  // "ok <name>: <detail>" / "FAIL <name>: <detail>", one per line
  };
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
