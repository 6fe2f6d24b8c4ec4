// bench_clone [SMALL_FILES] [LARGE_MIB]: how fast a clone's copy (nfs/tree_copy.h) runs through
// libnfs against a real nfs-ganesha on 127.0.0.1, for a tree of many small files and for one
// large file, beside `cp -a` of the same tree on the server's own disk; then a second copy over
// the complete one (what a resumed clone costs when nothing is left to do), and how much the
// copy grows this process's peak RSS (its memory is one chunk, not the file).
// Prints figures only. Both sides run warm (the data is in the page cache).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "nfs/tree_copy.h"
#include "test/nfs_server/ganesha_server.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void small_files(const fs::path& dir, int count) {
  const std::string data(4096, 'x');
  for (int i = 0; i < count; ++i) {
    const fs::path sub = dir / ("d" + std::to_string(i / 100));
    fs::create_directories(sub);
    std::ofstream(sub / ("f" + std::to_string(i)), std::ios::binary) << data;
  }
}

void large_file(const fs::path& dir, long mib) {
  fs::create_directories(dir);
  std::ofstream out(dir / "large.bin", std::ios::binary);
  std::string chunk(1 << 20, '\0');
  for (long i = 0; i < mib; ++i) {
    for (std::size_t j = 0; j < chunk.size(); j += 4096) chunk[j] = static_cast<char>(i + j);
    out << chunk;
  }
}

double cp_a(const fs::path& from, const fs::path& to) {
  const auto start = Clock::now();
  const std::string command = "cp -a '" + from.string() + "' '" + to.string() + "'";
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "cp -a failed\n");
  return seconds_since(start);
}

void measure(nfsprov::testing::GaneshaServer& server, const char* what, const std::string& src,
             double mib, long entries) {
  nfsprov::nfs::ExportClient client(server.address());
  const fs::path root = server.export_dir();
  client.create_directory(src + "-copy");
  const long rss_before = peak_rss_kib();
  const auto calls_before = client.handle_calls();
  auto start = Clock::now();
  const auto done = nfsprov::nfs::copy_tree(client, src, client, src + "-copy");
  const double took = seconds_since(start);
  const auto calls = client.handle_calls() - calls_before;
  const long rss_growth = peak_rss_kib() - rss_before;
  start = Clock::now();
  const auto again = nfsprov::nfs::copy_tree(client, src, client, src + "-copy");
  const double resume = seconds_since(start);
  const double cp = cp_a(root / src, root / (src + "-cp"));
  std::printf(
      "%-22s %6ld entries %8.1f MiB | libnfs %7.2f s %7.1f MiB/s %7.0f files/s %7.1f RPCs/entry "
      "| cp -a %6.2f s %7.1f MiB/s | ratio %4.2f | again (all kept: %llu) %6.2f s | peak RSS +%ld "
      "KiB\n",
      what, entries, mib, took, mib / took, static_cast<double>(done.files) / took,
      static_cast<double>(calls) / static_cast<double>(entries), cp, mib / cp, cp / took,
      static_cast<unsigned long long>(again.kept_files), resume, rss_growth);
}

}  // namespace

int main(int argc, char** argv) {
  const int files = argc > 1 ? std::atoi(argv[1]) : 5000;
  const long mib = argc > 2 ? std::atol(argv[2]) : 512;
  if (files <= 0 || mib <= 0) {
    std::fprintf(stderr, "usage: bench_clone [SMALL_FILES > 0] [LARGE_MIB > 0]\n");
    return 2;
  }
  nfsprov::testing::GaneshaServer server;
  small_files(server.export_dir() / "small", files);
  large_file(server.export_dir() / "large", mib);
  measure(server, "small files (4 KiB)", "small", files * 4.0 / 1024.0, files + (files + 99) / 100);
  measure(server, "one large file", "large", static_cast<double>(mib), 1);
  return 0;
}
