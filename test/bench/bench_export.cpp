// bench_export [VOLUMES]: how many volumes per second the export client creates and archives
// against a real nfs-ganesha on 127.0.0.1, with 1 and with 4 workers sharing an ExportPool.
// Prints figures only; loopback numbers are an upper bound for a Raspberry Pi over Ethernet.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "nfs/export_pool.h"
#include "nfs/volume_records.h"
#include "test/nfs_server/ganesha_server.h"

using nfsprov::nfs::ExportClient;
using nfsprov::nfs::ExportPool;
using Clock = std::chrono::steady_clock;

namespace {

// Runs step(i) for i in [0, count) on `workers` threads, each through the pool; returns
// seconds taken.
template <class Step>
double run(ExportPool& pool, int workers, int count, Step step) {
  std::atomic<int> next{0};
  const auto start = Clock::now();
  {
    std::vector<std::jthread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        pool.with_client([&](ExportClient& client) {
          for (int i = next++; i < count; i = next++) step(client, i);
        });
      });
    }
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(const char* what, int workers, int count, double seconds) {
  std::printf("%-28s workers=%d volumes=%d  %8.0f volumes/s  %6.3f ms/volume/worker\n", what,
              workers, count, count / seconds, seconds * 1000.0 * workers / count);
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (count <= 0) {
    std::fprintf(stderr, "usage: bench_export [VOLUMES > 0]\n");
    return 2;
  }
  nfsprov::testing::GaneshaServer server;
  for (int workers : {1, 4}) {
    ExportPool pool(server.address(), workers);
    // Connect every client first: mounting is not what is measured.
    run(pool, workers, workers, [](ExportClient&, int) {});
    const std::string prefix = "w" + std::to_string(workers) + "-";
    const auto name = [&](int i) { return prefix + "ns-claim-pvc-" + std::to_string(i); };

    double s = run(pool, workers, count,
                   [&](ExportClient& c, int i) { c.create_directory(name(i), {.mode = 0777}); });
    report("create (mode 0777)", workers, count, s);
    s = run(pool, workers, count, [&](ExportClient& c, int i) {
      c.create_directory("nested/" + name(i), {.mode = 0750, .uid = 1000, .gid = 1000});
    });
    report("create nested + chown", workers, count, s);
    s = run(pool, workers, count,
            [&](ExportClient& c, int i) { c.rename(name(i), "archived-" + name(i)); });
    report("archive (rename)", workers, count, s);
    s = run(pool, workers, count,
            [&](ExportClient& c, int i) { c.remove_tree("archived-" + name(i)); });
    report("delete (remove_tree)", workers, count, s);
    pool.with_client([](ExportClient& c) { c.remove_tree("nested"); });
  }

  // What the crash record costs a provision: write it, make the directory, drop the record
  // once the PV exists (claim_provisioner), against the directory alone.
  {
    ExportPool one(server.address(), 1);
    std::uint64_t plain_calls = 0, recorded_calls = 0;
    const int n = std::max(1, count / 2);
    const double plain = run(one, 1, n, [&](ExportClient& c, int i) {
      const auto before = c.handle_calls();
      c.create_directory("plain-" + std::to_string(i), {.mode = 0777, .must_be_new = true});
      plain_calls += c.handle_calls() - before;
    });
    const double recorded = run(one, 1, n, [&](ExportClient& c, int i) {
      const auto before = c.handle_calls();
      const std::string pv = "pvc-" + std::to_string(i);
      nfsprov::nfs::write_record(c, {pv, "bench", "recorded-" + std::to_string(i)});
      c.create_directory("recorded-" + std::to_string(i), {.mode = 0777, .must_be_new = true});
      nfsprov::nfs::erase_record(c, pv);
      recorded_calls += c.handle_calls() - before;
    });
    std::printf(
        "provision, directory only      %7.3f ms/volume  %5.1f RPCs\n"
        "provision with crash record    %7.3f ms/volume  %5.1f RPCs\n",
        plain * 1000.0 / n, static_cast<double>(plain_calls) / n, recorded * 1000.0 / n,
        static_cast<double>(recorded_calls) / n);
  }

  // Cost by depth: a pathPattern volume d levels below the export (maxPathDepth allows up to
  // 64). Every level is new, so create makes d directories; stat and delete then walk them.
  ExportPool pool(server.address(), 1);
  const int per_depth = std::max(1, count / 20);
  for (int depth : {1, 4, 16, 64}) {
    const auto path = [&](int i) {
      std::string p = "deep" + std::to_string(i);
      for (int level = 1; level < depth; ++level) p += "/l" + std::to_string(level);
      return p;
    };
    const double create = run(pool, 1, per_depth, [&](ExportClient& c, int i) {
      c.create_directory(path(i), {.mode = 0777});
    });
    const double stat = run(pool, 1, per_depth, [&](ExportClient& c, int i) { c.stat(path(i)); });
    const double remove = run(pool, 1, per_depth, [&](ExportClient& c, int i) {
      c.remove_tree("deep" + std::to_string(i));
    });
    std::printf("depth %-3d volumes=%-4d create %7.2f ms  stat %6.2f ms  delete %7.2f ms\n", depth,
                per_depth, create * 1000.0 / per_depth, stat * 1000.0 / per_depth,
                remove * 1000.0 / per_depth);
  }
  return 0;
}
