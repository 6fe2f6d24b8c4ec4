// bench_usage [VOLUMES [FILES]]: what the leader's usage walk (nfs::tree_size, as the
// VolumeUsageMeter runs it) costs against a real nfs-ganesha on 127.0.0.1: VOLUMES directories
// of FILES files each (100 x 1000 by default), walked once with no cap. Prints the time, the
// NFS calls sent by handle, and how long the same walk takes at the default cap of 100 calls/s.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "nfs/export_client.h"
#include "nfs/export_survey.h"
#include "test/nfs_server/ganesha_server.h"

int main(int argc, char** argv) {
  const int volumes = argc > 1 ? std::atoi(argv[1]) : 100;
  const int files = argc > 2 ? std::atoi(argv[2]) : 1000;
  if (volumes <= 0 || files <= 0) {
    std::fprintf(stderr, "usage: bench_usage [VOLUMES > 0 [FILES > 0]]\n");
    return 2;
  }
  nfsprov::testing::GaneshaServer server;
  // Made on the server's disk before the server has seen them: nothing is cached yet.
  for (int v = 0; v < volumes; ++v) {
    const auto dir = server.export_dir() / ("vol-" + std::to_string(v));
    std::filesystem::create_directory(dir);
    for (int f = 0; f < files; ++f) std::ofstream(dir / ("f" + std::to_string(f))) << "0123456789";
  }
  nfsprov::nfs::ExportClient client(server.address());
  const auto calls_before = client.handle_calls();
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t bytes = 0, inodes = 0;
  for (int v = 0; v < volumes; ++v) {
    const auto size = nfsprov::nfs::tree_size(client, "vol-" + std::to_string(v), 10'000'000);
    bytes += size.bytes;
    inodes += size.entries + 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto calls = client.handle_calls() - calls_before;
  std::printf("%d volumes x %d files: %llu bytes, %llu inodes\n", volumes, files,
              static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(inodes));
  std::printf("walk: %.2f s uncapped, %llu NFS calls by handle (%.1f per entry, %.0f calls/s)\n",
              seconds, static_cast<unsigned long long>(calls),
              static_cast<double>(calls) / static_cast<double>(inodes), calls / seconds);
  std::printf("at the default cap of 100 calls/s: %.0f s\n", static_cast<double>(calls) / 100.0);
  return 0;
}
