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

TEST_CASE("a loop silent longer than allowed makes liveness fail, naming it", "[health]") {
  LivenessRegistry liveness;
  const auto start = LivenessRegistry::Clock::now();
  auto informer = liveness.watch("informer/persistentvolumeclaims", 60s);
  auto workers = liveness.watch("workers", 10s);
  CHECK_THROWS_AS(liveness.watch("workers", 1s), std::invalid_argument);

  auto report = liveness.check(start + 5s);
  CHECK(report.ok);
  CHECK(report.text == "ok informer/persistentvolumeclaims\nok workers\n");

  report = liveness.check(start + 75s);
  CHECK_FALSE(report.ok);
  CHECK(report.text.find("FAIL informer/persistentvolumeclaims: silent for 7") !=
        std::string::npos);
  CHECK(report.text.find("(allowed 60.0s)") != std::string::npos);
  CHECK(report.text.find("FAIL workers") != std::string::npos);

  // A tick restarts the allowance; a loop that ended on purpose is no longer watched.
  workers.tick();
  const auto ticked = LivenessRegistry::Clock::now();
  { auto moved = std::move(informer); }
  report = liveness.check(ticked + 5s);
  CHECK(report.ok);
  CHECK(report.text == "ok workers\n");
  auto again = liveness.watch("informer/persistentvolumeclaims", 60s);  // the name is free again
  CHECK(liveness.check(ticked + 5s).ok);
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
  auto workers = liveness.watch("workers", std::chrono::hours(1));

  HealthServer server(parse_listen_address("127.0.0.1:0"), registry, liveness, readiness, logger);
  REQUIRE(server.port() > 0);
  CHECK(log_sink.str().find("127.0.0.1:" + std::to_string(server.port())) != std::string::npos);
  httplib::Client client("127.0.0.1", server.port());

  auto res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "ok\nok workers\n");

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

  // A loop that stops ticking turns liveness red, naming the loop.
  auto stuck = liveness.watch("informer/persistentvolumes", 1ms);
  std::this_thread::sleep_for(20ms);  // only makes the loop overdue; nothing is timed
  res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK(res->body.find("FAIL informer/persistentvolumes: silent for") != std::string::npos);
  CHECK(res->body.find("ok workers\n") != std::string::npos);

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
