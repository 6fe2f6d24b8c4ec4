// ExportPool against a real nfs-ganesha: one client per thread, reconnection after a server
// restart, the metrics observer.
#include "nfs/export_pool.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test/nfs_server/ganesha_server.h"

namespace fs = std::filesystem;
using nfsprov::nfs::ExportAddress;
using nfsprov::nfs::ExportClient;
using nfsprov::nfs::ExportPool;
using nfsprov::nfs::ExportPools;
using nfsprov::nfs::NfsError;
using nfsprov::testing::GaneshaServer;

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
