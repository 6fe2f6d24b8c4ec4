// ExportPool against a real nfs-ganesha: one client per thread, reconnection after a server
// restart, the metrics observer, a stop ending a wait and a call on a frozen server.
#include "nfs/export_pool.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test/nfs_server/ganesha_server.h"

namespace fs = std::filesystem;
using nfsprov::nfs::ExportAddress;
using nfsprov::nfs::ExportClient;
using nfsprov::nfs::ExportPool;
using nfsprov::nfs::ExportPools;
using nfsprov::nfs::NfsError;
using nfsprov::testing::GaneshaServer;
using namespace std::chrono_literals;

TEST_CASE("four threads create 1000 volumes at once through one pool", "[nfs]") {
  GaneshaServer server;
  ExportPool pool(server.address(), 4);
  constexpr int threads = 4, per_thread = 250;
  std::vector<std::string> failures;
  std::mutex failures_mutex;
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          const std::string name = "ns-claim-" + std::to_string(t) + "-" + std::to_string(i);
          try {
            pool.with_client([&](ExportClient& c) { c.create_directory("vols/" + name); });
          } catch (const std::exception& e) {
            std::lock_guard lock(failures_mutex);
            failures.push_back(e.what());
          }
        }
      });
    }
  }
  CHECK(failures.empty());
  if (!failures.empty()) FAIL(failures.front());
  std::size_t on_disk = 0;
  for (const auto& e : fs::directory_iterator(server.export_dir() / "vols"))
    on_disk += e.is_directory();
  CHECK(on_disk == threads * per_thread);
  CHECK(pool.with_client([](ExportClient& c) { return c.list("vols").size(); }) ==
        threads * per_thread);
}

TEST_CASE("the pool recovers after the server restarts", "[nfs]") {
  GaneshaServer server;
  ExportPool pool(server.address("export", std::chrono::seconds(2)), 2);
  pool.with_client([](ExportClient& c) { c.create_directory("before"); });

  SECTION("a call during the outage fails retryably, the next one after restart works") {
    server.stop();
    try {
      pool.with_client([](ExportClient& c) { c.create_directory("during"); });
      FAIL("created a directory on a stopped server");
    } catch (const NfsError& e) {
      CHECK(e.retryable());
    }
    server.start();
    pool.with_client([](ExportClient& c) { c.create_directory("after"); });
    CHECK(fs::is_directory(server.export_dir() / "after"));
    CHECK(fs::is_directory(server.export_dir() / "before"));
  }
  SECTION("an idle client survives a restart it did not see") {
    server.stop();
    server.start();
    pool.with_client([](ExportClient& c) { c.create_directory("after"); });
    CHECK(fs::is_directory(server.export_dir() / "after"));
  }
  SECTION("connecting while the server is down fails; the pool connects once it is back") {
    ExportPool fresh(server.address("export", std::chrono::seconds(2)), 1);
    server.stop();
    CHECK_THROWS_AS(fresh.with_client([](ExportClient& c) { return c.exists("before"); }),
                    NfsError);
    server.start();
    CHECK(fresh.with_client([](ExportClient& c) { return c.exists("before"); }));
  }
}

TEST_CASE("ExportPools keeps one pool per export and reports every operation", "[nfs]") {
  GaneshaServer server({{"one"}, {"two"}});
  struct Seen {
    std::string server, op;
    int err;
  };
  std::vector<Seen> seen;
  std::mutex seen_mutex;
  ExportPools pools(
      2, [&](const ExportAddress& a, std::string_view op, std::chrono::nanoseconds took, int err) {
        CHECK(took.count() > 0);
        std::lock_guard lock(seen_mutex);
        seen.push_back({a.display(), std::string(op), err});
      });
  ExportPool& one = pools.get(server.address("one"));
  CHECK(&one == &pools.get(server.address("one")));
  ExportPool& two = pools.get(server.address("two"));
  CHECK(&one != &two);

  one.with_client([](ExportClient& c) { c.create_directory("vol"); });
  CHECK_THROWS(two.with_client([](ExportClient& c) { c.rename("missing", "x"); }));
  CHECK(fs::is_directory(server.export_dir("one") / "vol"));
  CHECK_FALSE(fs::exists(server.export_dir("two") / "vol"));

  std::lock_guard lock(seen_mutex);
  REQUIRE(seen.size() == 4);  // mount, create_directory, mount, rename
  CHECK(seen[0].op == "mount");
  CHECK(seen[1].server == "127.0.0.1:/one");
  CHECK(seen[1].op == "create_directory");
  CHECK(seen[1].err == 0);
  CHECK(seen[3].server == "127.0.0.1:/two");
  CHECK(seen[3].op == "rename");
  CHECK(seen[3].err == ENOENT);
}

namespace {

using Clock = std::chrono::steady_clock;

// Runs call on a thread of its own, requests stop once the server has been frozen for
// `after`, and returns the NfsError call ended with and how long after the stop it came.
std::pair<NfsError, Clock::duration> stopped_after(
    GaneshaServer& server, std::chrono::milliseconds after,
    const std::function<void(std::stop_token)>& call) {
  std::stop_source stop;
  std::optional<NfsError> error;
  Clock::time_point ended{};
  server.freeze();
  std::jthread caller([&] {
    try {
      call(stop.get_token());
    } catch (const NfsError& e) {
      error.emplace(e);
    }
    ended = Clock::now();
  });
  std::this_thread::sleep_for(after);
  const auto stopped = Clock::now();
  stop.request_stop();
  caller.join();
  server.thaw();
  REQUIRE(error.has_value());
  return {*error, ended - stopped};
}

}  // namespace

TEST_CASE("a stop ends a pooled call in flight on a frozen server at once, with ECANCELED",
          "[nfs]") {
  GaneshaServer server;
  // Without the cancel each call would wait out the 30 s timeout.
  ExportPool pool(server.address("export", std::chrono::seconds(30)), 1);
  pool.with_client([](ExportClient& c) { c.create_directory("vol"); });

  SECTION("a call by handle (the stat's LOOKUP)") {
    const auto [error, took] = stopped_after(server, 300ms, [&](std::stop_token stop) {
      pool.with_client(stop, [&](ExportClient& c) { c.stat("vol"); });
    });
    CHECK(error.error_number() == ECANCELED);
    CHECK_FALSE(error.retryable());
    CHECK(took < 500ms);
  }
  SECTION("a call by path (the statvfs)") {
    const auto [error, took] = stopped_after(server, 300ms, [&](std::stop_token stop) {
      pool.with_client(stop, [&](ExportClient& c) { c.usage(); });
    });
    CHECK(error.error_number() == ECANCELED);
    CHECK(took < 500ms);
  }
  SECTION("a connect (the MOUNT)") {
    ExportPool fresh(server.address("export", std::chrono::seconds(30)), 1);
    const auto [error, took] = stopped_after(server, 300ms, [&](std::stop_token stop) {
      fresh.with_client(stop, [&](ExportClient&) {});
    });
    CHECK(error.error_number() == ECANCELED);
    CHECK(error.op() == "mount");
    CHECK(took < 500ms);
  }
  // The cancelled client was dropped: the next caller gets a new, working one.
  CHECK(pool.with_client([](ExportClient& c) { return c.exists("vol"); }));
}

TEST_CASE("a stop ends the wait for a client while all of them are busy", "[nfs]") {
  GaneshaServer server;
  ExportPool pool(server.address(), 1);
  std::stop_source stop;
  std::optional<NfsError> error;
  std::atomic<bool> holding{false};
  std::atomic<bool> release{false};
  std::jthread holder([&] {
    pool.with_client([&](ExportClient&) {
      holding = true;
      while (!release) std::this_thread::sleep_for(1ms);
    });
  });
  while (!holding) std::this_thread::sleep_for(1ms);
  std::jthread waiter([&] {
    try {
      pool.with_client(stop.get_token(), [](ExportClient&) {});
    } catch (const NfsError& e) {
      error.emplace(e);
    }
  });
  std::this_thread::sleep_for(100ms);
  stop.request_stop();
  waiter.join();
  release = true;
  REQUIRE(error.has_value());
  CHECK(error->error_number() == ECANCELED);
  CHECK(error->op() == "wait");
}
