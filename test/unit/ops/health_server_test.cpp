#include "provisioner/ops/health_server.h"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "provisioner/ops/controller_metrics.h"
#include "provisioner/ops/provisioner_metrics.h"

using namespace nfsprov::ops;
using namespace std::chrono_literals;

TEST_CASE("listen addresses parse as the --metrics-address flag takes them", "[health]") {
  auto a = parse_listen_address(":8080");
  CHECK(a.host == "0.0.0.0");
  CHECK(a.port == 8080);
  a = parse_listen_address("127.0.0.1:9090");
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 9090);
  a = parse_listen_address("localhost:0");
  CHECK(a.host == "localhost");
  CHECK(a.port == 0);
  a = parse_listen_address("[::1]:8443");
  CHECK(a.host == "::1");
  CHECK(a.port == 8443);

  for (const char* bad : {"", "8080", ":", "host:", ":65536", ":-1", ":80x", "::1:80", "[::1]",
                          "[::1]80", "[]:80", "host:8 0"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_listen_address(bad), std::invalid_argument);
  }
}

TEST_CASE("liveness lists every check, judged at the given instant, and fails with one",
          "[health]") {
  LivenessRegistry liveness;
  CHECK(liveness.check().ok);
  const auto start = LivenessRegistry::Clock::now();
  // A loop that made progress at `start` and may stay silent for 60 s.
  liveness.add("informer", [start](LivenessRegistry::Clock::time_point now) {
    const bool ok = now - start <= 60s;
    return CheckOutcome{ok, ok ? "progressing" : "silent too long"};
  });
  liveness.add("workers", [](LivenessRegistry::Clock::time_point) {
    return CheckOutcome{true, "idle"};
  });
  auto report = liveness.check(start + 5s);
  CHECK(report.ok);
  CHECK(report.text == "ok informer: progressing\nok workers: idle\n");

  report = liveness.check(start + 75s);
  CHECK_FALSE(report.ok);
  CHECK(report.text == "FAIL informer: silent too long\nok workers: idle\n");

  liveness.add("broken", [](LivenessRegistry::Clock::time_point) -> CheckOutcome {
    throw std::runtime_error("no state");
  });
  report = liveness.check(start + 5s);
  CHECK_FALSE(report.ok);
  CHECK(report.text.find("FAIL broken: check failed: no state\n") != std::string::npos);
}

TEST_CASE("readiness lists every check and fails when one fails or throws", "[health]") {
  ReadinessRegistry readiness;
  CHECK(readiness.evaluate().ok);
  bool synced = false;
  readiness.add("informers", [&] {
    return CheckOutcome{synced, synced ? "synced" : "waiting for the first list"};
  });
  readiness.add("nfs 10.0.0.5:/srv", [] { return CheckOutcome{true, "answered"}; });
  auto report = readiness.evaluate();
  CHECK_FALSE(report.ok);
  CHECK(report.text ==
        "FAIL informers: waiting for the first list\nok nfs 10.0.0.5:/srv: answered\n");

  synced = true;
  report = readiness.evaluate();
  CHECK(report.ok);
  CHECK(report.text == "ok informers: synced\nok nfs 10.0.0.5:/srv: answered\n");

  readiness.add("leader", []() -> CheckOutcome { throw std::runtime_error("lease read failed"); });
  report = readiness.evaluate();
  CHECK_FALSE(report.ok);
  CHECK(report.text.find("FAIL leader: check failed: lease read failed\n") != std::string::npos);
}

TEST_CASE("the server answers /healthz, /readyz and /metrics over HTTP", "[health]") {
  std::ostringstream log_sink;
  nfsprov::log::Logger logger(log_sink);
  MetricsRegistry registry;
  ProvisionerMetrics metrics(registry, "0.1.0");
  ControllerMetrics observer(metrics);
  LivenessRegistry liveness;
  ReadinessRegistry readiness;
  std::atomic<bool> synced{false};
  readiness.add("informers", [&] { return CheckOutcome{synced.load(), ""}; });
  bool stuck = false;
  liveness.add("workers", [&stuck](LivenessRegistry::Clock::time_point) {
    return CheckOutcome{!stuck, stuck ? "worker 1 on claim/default/x for 11m" : "progressing"};
  });

  HealthServer server(parse_listen_address("127.0.0.1:0"), registry, liveness, readiness, logger);
  REQUIRE(server.port() > 0);
  CHECK(log_sink.str().find("127.0.0.1:" + std::to_string(server.port())) != std::string::npos);
  httplib::Client client("127.0.0.1", server.port());

  auto res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "ok\nok workers: progressing\n");

  res = client.Get("/readyz");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body == "not ready\nFAIL informers\n");
  synced = true;
  res = client.Get("/readyz");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "ready\nok informers\n");

  res = client.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == std::string(exposition_content_type));
  CHECK(res->body.find("\nnfs_provisioner_build_info{version=\"0.1.0\"} 1\n") != std::string::npos);
  CHECK(res->body.find("controller_persistentvolumeclaim_provision_total{") == std::string::npos);

  observer.provision_succeeded("nfs-client", 12ms);
  observer.queue_depth(4);
  metrics.set_leader(true);
  res = client.Get("/metrics");
  REQUIRE(res);
  CHECK(res->body.find("\ncontroller_persistentvolumeclaim_provision_total{class=\"nfs-client\","
                       "source=\"\"} 1\n") != std::string::npos);
  CHECK(res->body.find("\nnfs_provisioner_workqueue_depth 4\n") != std::string::npos);
  CHECK(res->body.find("\nnfs_provisioner_leader 1\n") != std::string::npos);

  // A stuck loop turns liveness red, naming it.
  stuck = true;
  res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK(res->body == "unhealthy\nFAIL workers: worker 1 on claim/default/x for 11m\n");

  res = client.Get("/nothing-here");
  REQUIRE(res);
  CHECK(res->status == 404);
}

TEST_CASE("the destructor stops the server and frees the port", "[health]") {
  std::ostringstream log_sink;
  nfsprov::log::Logger logger(log_sink);
  MetricsRegistry registry;
  LivenessRegistry liveness;
  ReadinessRegistry readiness;
  int port = 0;
  {
    HealthServer server(ListenAddress{"127.0.0.1", 0}, registry, liveness, readiness, logger);
    port = server.port();
    httplib::Client client("127.0.0.1", port);
    REQUIRE(client.Get("/healthz"));
  }
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1s);
  CHECK_FALSE(client.Get("/healthz"));
  // The same port can be bound again right away.
  HealthServer again(ListenAddress{"127.0.0.1", port}, registry, liveness, readiness, logger);
  CHECK(again.port() == port);
}

TEST_CASE("a port already in use is an error at construction", "[health]") {
  std::ostringstream log_sink;
  nfsprov::log::Logger logger(log_sink);
  MetricsRegistry registry;
  LivenessRegistry liveness;
  ReadinessRegistry readiness;
  HealthServer first(ListenAddress{"127.0.0.1", 0}, registry, liveness, readiness, logger);
  CHECK_THROWS_AS(
      HealthServer(ListenAddress{"127.0.0.1", first.port()}, registry, liveness, readiness, logger),
      std::runtime_error);
}
