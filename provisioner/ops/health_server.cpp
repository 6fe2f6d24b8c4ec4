#include "provisioner/ops/health_server.h"

#include <httplib.h>

#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "provisioner/base/host_port.h"

namespace nfsprov::ops {

namespace {

constexpr std::string_view text_plain = "text/plain; charset=utf-8";

}  // namespace

ListenAddress parse_listen_address(std::string_view text) {
  // The settings check --metrics-address with the same function: what they accept binds here.
  base::HostPort parsed;
  try {
    parsed = base::parse_host_port(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("invalid listen address '" + std::string(text) + "': " + e.what());
  }
  return ListenAddress{parsed.host.empty() ? std::string("0.0.0.0") : std::move(parsed.host),
                       parsed.port};
}

namespace {

// Runs each check unlocked (a slow one must not block registering another); one that throws
// counts as failed.
template <class Check, class Call>
CheckReport evaluate_all(std::mutex& mutex,
                         const std::vector<std::pair<std::string, Check>>& registered, Call call) {
  std::vector<std::pair<std::string, Check>> checks;
  {
    std::lock_guard lock(mutex);
    checks = registered;
  }
  CheckReport report;
  for (const auto& [name, check] : checks) {
    CheckOutcome outcome;
    try {
      outcome = call(check);
    } catch (const std::exception& e) {
      outcome = CheckOutcome{false, std::string("check failed: ") + e.what()};
    }
    report.ok = report.ok && outcome.ok;
    report.text += (outcome.ok ? "ok " : "FAIL ") + name;
    if (!outcome.detail.empty()) report.text += ": " + outcome.detail;
    report.text += '\n';
  }
  return report;
}

}  // namespace

void LivenessRegistry::add(std::string name, LivenessCheck check) {
  std::lock_guard lock(mutex_);
  checks_.emplace_back(std::move(name), std::move(check));
}

LivenessRegistry::Report LivenessRegistry::check(Clock::time_point now) const {
  return evaluate_all(mutex_, checks_, [now](const LivenessCheck& c) { return c(now); });
}

void ReadinessRegistry::add(std::string name, ReadinessCheck check) {
  std::lock_guard lock(mutex_);
  checks_.emplace_back(std::move(name), std::move(check));
}

ReadinessRegistry::Report ReadinessRegistry::evaluate() const {
  return evaluate_all(mutex_, checks_, [](const ReadinessCheck& c) { return c(); });
}

HealthServer::HealthServer(const ListenAddress& address, const MetricsRegistry& metrics,
                           const LivenessRegistry& liveness, const ReadinessRegistry& readiness,
                           log::Logger& logger)
    : server_(std::make_unique<httplib::Server>()) {
  // Probes and scrapes are rare and quick: two handler threads instead of httplib's default
  // of one per core (at least eight). httplib takes ownership of the raw pointer.
  server_->new_task_queue = [] { return std::make_unique<httplib::ThreadPool>(2).release(); };

  // SO_REUSEADDR only: a restarted process binds at once, but a second process on the same
  // port fails instead of sharing it (httplib's default adds SO_REUSEPORT where available).
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  server_->Get("/healthz", [&liveness](const httplib::Request&, httplib::Response& res) {
    const auto report = liveness.check();
    res.status = report.ok ? 200 : 500;
    res.set_content((report.ok ? "ok\n" : "unhealthy\n") + report.text, std::string(text_plain));
  });
  server_->Get("/readyz", [&readiness](const httplib::Request&, httplib::Response& res) {
    const auto report = readiness.evaluate();
    res.status = report.ok ? 200 : 503;
    res.set_content((report.ok ? "ready\n" : "not ready\n") + report.text, std::string(text_plain));
  });
  server_->Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(), std::string(exposition_content_type));
  });

  if (address.port == 0) {
    port_ = server_->bind_to_any_port(address.host);
  } else if (server_->bind_to_port(address.host, address.port)) {
    port_ = address.port;
  }
  if (port_ <= 0) {
    throw std::runtime_error("cannot listen on " + address.host + ":" +
                             std::to_string(address.port) + " for health and metrics");
  }
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_ended_ = true;
  });
  // stop() is a no-op until the accept loop runs, so the destructor could otherwise hang.
  while (!server_->is_running() && !listen_ended_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  logger.info("serving health and metrics",
              {{"address", address.host + ":" + std::to_string(port_)},
               {"paths", "/healthz /readyz /metrics"}});
}

HealthServer::~HealthServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace nfsprov::ops
