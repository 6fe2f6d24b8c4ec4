// bench_export [VOLUMES]: how many volumes per second the export client creates and archives
// against a real nfs-ganesha on 127.0.0.1, with 1 and with 4 workers sharing an ExportPool.
// Prints figures only; loopback numbers are an upper bound for a Raspberry Pi over Ethernet.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "nfs/export_pool.h"
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
  return 0;
}
