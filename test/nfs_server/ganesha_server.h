// GaneshaServer: a real NFS server (nfs-ganesha on 127.0.0.1) for one test, driven through
// test/nfs_server/nfs-server.sh. It picks free ports, makes a temporary state directory,
// starts at construction and stops (and removes its directory) in its destructor, pass or
// fail. Several instances may run at once, in one process or in parallel ctest processes.
//
//   nfsprov::testing::GaneshaServer server({{"export"}, {"squashed", ExportMode::root_squash}});
//   nfsprov::nfs::ExportClient client(server.address("squashed"));
//   server.export_dir("export") / "vol";   // the backing directory on the local disk
//   server.stop(); server.start();         // restart on the same ports, content kept
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/values/export_address.h"
#include "test/support/temp_dir.h"

namespace nfsprov::testing {

enum class ExportMode {
  read_write,   // RW, No_Root_Squash: root may create and chown
  root_squash,  // RW, Root_Squash, backing dir 0777: mkdir works, chown fails with EPERM
  read_only,    // RO: every write fails with EROFS
};

struct ExportSpec {
  std::string name = "export";  // mounted as "/<name>"; [A-Za-z0-9._-]
  ExportMode mode = ExportMode::read_write;
};

class GaneshaServer {
 public:
  // Starts at once; throws std::runtime_error (with the script's explanation) on failure.
  explicit GaneshaServer(std::vector<ExportSpec> exports = {ExportSpec{}});
  ~GaneshaServer();
  GaneshaServer(const GaneshaServer&) = delete;
  GaneshaServer& operator=(const GaneshaServer&) = delete;

  // Stops the server by its pid (SIGTERM, ~0.1 s); content and ports are kept for start().
  void stop();
  // Starts again on the same ports with the same exports. No-op when running.
  void start();
  // SIGSTOP / SIGCONT: a server that hangs (connections stay open, nothing answers), as a
  // Raspberry Pi NFS server under memory pressure does. The destructor thaws it first.
  void freeze();
  void thaw();
  bool running() const { return running_; }

  // Where clients reach an export: 127.0.0.1, its own ports, version 3, the given timeout.
  nfs::ExportAddress address(std::string_view export_name = "export",
                             std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  // The export's backing directory on the local disk, to plant or inspect files directly.
  std::filesystem::path export_dir(std::string_view export_name = "export") const;
  const std::filesystem::path& state_dir() const { return state_dir_.path(); }
  int nfs_port() const { return nfs_port_; }
  int mount_port() const { return mount_port_; }

  // The script, for tests that drive a server from the shell (demo, e2e).
  static std::filesystem::path script();

 private:
  void run_script(const std::string& args) const;
  const ExportSpec& find(std::string_view export_name) const;

  std::vector<ExportSpec> exports_;
  TempDir state_dir_{"np-ganesha"};  // removed after the destructor stopped the server
  int nfs_port_ = 0;
  int mount_port_ = 0;
  bool frozen_ = false;
  bool running_ = false;
};

}  // namespace nfsprov::testing
