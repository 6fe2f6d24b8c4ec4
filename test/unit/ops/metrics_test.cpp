#include "provisioner/ops/metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

using namespace nfsprov::ops;

TEST_CASE("values are formatted as the exposition format expects", "[metrics]") {
  CHECK(format_value(1) == "1");
  CHECK(format_value(0) == "0");
  CHECK(format_value(0.005) == "0.005");
  CHECK(format_value(2.5) == "2.5");
  CHECK(format_value(-3) == "-3");
  CHECK(format_value(1234567) == "1234567");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::nan("")) == "NaN");
}

TEST_CASE("label values and help texts are escaped", "[metrics]") {
  CHECK(escape_label_value(R"(a\b"c)"
                           "\n"
                           "d") == R"(a\\b\"c\nd)");
  CHECK(escape_label_value("plain-value/1") == "plain-value/1");
  CHECK(escape_help("back\\slash \"quoted\"\nnext") == "back\\\\slash \"quoted\"\\nnext");
}

TEST_CASE("counters and gauges render with HELP, TYPE and sorted series", "[metrics]") {
  MetricsRegistry registry;
  auto& requests = registry.counter("requests_total", "Requests served.", {"code", "path"});
  requests.with({"200", "/b"}).inc();
  requests.with({"200", "/a"}).inc(2);
  requests.with({"500", "/a\"x"}).inc();
  registry.gauge("temperature", "Heat.\nIn degrees.").get().set(-1.5);

  CHECK(registry.render() ==
        "# HELP requests_total Requests served.\n"
        "# TYPE requests_total counter\n"
        "requests_total{code=\"200\",path=\"/a\"} 2\n"
        "requests_total{code=\"200\",path=\"/b\"} 1\n"
        "requests_total{code=\"500\",path=\"/a\\\"x\"} 1\n"
        "# HELP temperature Heat.\\nIn degrees.\n"
        "# TYPE temperature gauge\n"
        "temperature -1.5\n");
}

TEST_CASE("a family without series renders only its HELP and TYPE lines", "[metrics]") {
  MetricsRegistry registry;
  registry.counter("never_total", "Nothing yet.", {"x"});
  CHECK(registry.render() == "# HELP never_total Nothing yet.\n# TYPE never_total counter\n");
}

TEST_CASE("histograms render cumulative buckets, +Inf, sum and count", "[metrics]") {
  MetricsRegistry registry;
  auto& latency = registry.histogram("op_seconds", "Op latency.", {"op"}, {0.1, 1, 2.5});
  auto& mkdir = latency.with({"mkdir"});
  mkdir.observe(0.05);
  mkdir.observe(0.1);  // le is inclusive
  mkdir.observe(2);
  mkdir.observe(7);
  registry.histogram("plain_seconds", "No labels.", {}, {1}).get().observe(0.5);

  CHECK(registry.render() ==
        "# HELP op_seconds Op latency.\n"
        "# TYPE op_seconds histogram\n"
        "op_seconds_bucket{op=\"mkdir\",le=\"0.1\"} 2\n"
        "op_seconds_bucket{op=\"mkdir\",le=\"1\"} 2\n"
        "op_seconds_bucket{op=\"mkdir\",le=\"2.5\"} 3\n"
        "op_seconds_bucket{op=\"mkdir\",le=\"+Inf\"} 4\n"
        "op_seconds_sum{op=\"mkdir\"} 9.15\n"
        "op_seconds_count{op=\"mkdir\"} 4\n"
        "# HELP plain_seconds No labels.\n"
        "# TYPE plain_seconds histogram\n"
        "plain_seconds_bucket{le=\"1\"} 1\n"
        "plain_seconds_bucket{le=\"+Inf\"} 1\n"
        "plain_seconds_sum 0.5\n"
        "plain_seconds_count 1\n");
}

TEST_CASE("default buckets are the Prometheus client libraries' DefBuckets", "[metrics]") {
  CHECK(default_buckets() ==
        std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
}

TEST_CASE("registration rejects bad names, mismatches and misuse", "[metrics]") {
  MetricsRegistry registry;
  CHECK_THROWS_AS(registry.counter("9starts_with_digit", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("has-dash", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "x", {"bad-label"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h", "x", {"le"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h", "x", {}, {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h", "x", {}, {2, 1}), std::invalid_argument);

  auto& first = registry.counter("c_total", "x", {"a"});
  CHECK(&registry.counter("c_total", "x", {"a"}) == &first);
  CHECK_THROWS_AS(registry.counter("c_total", "x", {"b"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.gauge("c_total", "x", {"a"}), std::invalid_argument);

  CHECK_THROWS_AS(first.with({}), std::invalid_argument);
  CHECK_THROWS_AS(first.with({"1", "2"}), std::invalid_argument);
  CHECK_THROWS_AS(first.with({"1"}).inc(-1), std::invalid_argument);
  CHECK(&first.with({"1"}) == &first.with({"1"}));
}

TEST_CASE("concurrent updates are all counted", "[metrics]") {
  MetricsRegistry registry;
  auto& counter = registry.counter("hits_total", "x", {"t"});
  auto& histogram = registry.histogram("h_seconds", "x", {}, {0.5});
  constexpr int per_thread = 20000;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          counter.with({t % 2 == 0 ? "even" : "odd"}).inc();
          histogram.get().observe(i % 2 == 0 ? 0.25 : 1.0);
          if (i % 1000 == 0) (void)registry.render();  // scrapes race with updates
        }
      });
    }
  }
  CHECK(counter.with({"even"}).value() == 2 * per_thread);
  CHECK(counter.with({"odd"}).value() == 2 * per_thread);
  const auto snap = histogram.get().snapshot();
  CHECK(snap.count == 4 * per_thread);
  CHECK(snap.cumulative[0] == 2 * per_thread);
  CHECK(snap.sum == Approx(2 * per_thread * 0.25 + 2 * per_thread * 1.0));
}
