// FakeVolumeStore: an in-memory nfs::VolumeStore, one FakeExport per export address. A
// FakeExport answers as ExportClient does (the same errno for the same mistake), keeps a
// server clock of its own for the ctimes the volume records are judged by, refuses every
// change while its write fence is closed (ECANCELED, like ExportPools' fence), and a fault
// hook may fail (or "crash") any operation before it takes effect. A lend whose stop was
// requested is refused with ECANCELED, as ExportPools cancels its call.
// For one test thread: the controller's steps are run from the test itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "nfs/volume_store.h"

namespace nfsprov::fakes {

class FakeExport final : public nfs::ExportFiles {
 public:
  // Runs before an operation takes effect: throwing fails it. op is the method's name.
  using Fault = std::function<void(std::string_view op, std::string_view path)>;

  explicit FakeExport(nfs::ExportAddress address);

  const nfs::ExportAddress& address() const override { return address_; }
  void create_directory(std::string_view path, const nfs::CreateOptions& options = {}) override;
  void rename(std::string_view path, std::string_view new_path) override;
  bool remove_tree(std::string_view path) override;
  void create_symlink(std::string_view path, std::string_view target) override;
  std::optional<std::string> read_symlink(std::string_view path) override;
  bool remove_file(std::string_view path) override;
  std::optional<nfs::FileInfo> stat(std::string_view path) override;
  bool exists(std::string_view path) override;
  nfs::ExportUsage usage() override;
  std::vector<std::string> list(std::string_view path) override;

  // For the test: a regular file of size bytes (its parent must exist), as a pod would write
  // it; an existing file is written over.
  void write_file(std::string_view path, std::uint64_t size = 0);
  // Every path on the export, sorted ("" the root left out).
  std::vector<std::string> paths() const;
  void set_usage(nfs::ExportUsage usage) { usage_ = usage; }
  // The server's clock, which the ctimes of what changes from now on come from (ns since the
  // epoch; it starts in November 2023, far behind ours).
  void set_server_time(std::int64_t ns) { server_ns_ = ns; }
  void set_fault(Fault fault) { fault_ = std::move(fault); }
  // False refuses every change with ECANCELED (and nothing changes).
  void set_write_fence(std::function<bool()> fence) { fence_ = std::move(fence); }
  // Operations so far, failed ones included.
  std::uint64_t operations() const { return operations_; }

 private:
  struct Entry {
    nfs::FileInfo info;
    std::string target;  // a symlink's
  };
  // Counts the operation and runs the fault hook; for a change, asks the fence first.
  void begin(std::string_view op, std::string_view path, bool change);
  [[noreturn]] void fail(std::string_view op, std::string_view path, int error) const;
  Entry& add(const std::string& path, nfs::FileType type, std::uint32_t mode);
  Entry* find(std::string_view path);
  std::int64_t tick() { return server_ns_ += 1000; }

  nfs::ExportAddress address_;
  std::map<std::string, Entry> entries_;  // by path relative to the export; "" is the root
  std::int64_t server_ns_ = 1'700'000'000'000'000'000;
  nfs::ExportUsage usage_{100ULL << 30, 100ULL << 30, 100ULL << 30};
  Fault fault_;
  std::function<bool()> fence_;
  std::uint64_t operations_ = 0;
};

class FakeVolumeStore final : public nfs::VolumeStore {
 public:
  // The export at address.key(), made (empty) on first use.
  FakeExport& at(const nfs::ExportAddress& address);
  // How often an export was lent to a step.
  std::uint64_t lends() const { return lends_; }

 private:
  // Refuses with ECANCELED once stop is requested, as ExportPools does.
  void lend(const nfs::ExportAddress& address, std::stop_token stop,
            const std::function<void(nfs::ExportFiles&)>& fn) override;

  std::map<std::string, std::unique_ptr<FakeExport>> exports_;
  std::uint64_t lends_ = 0;
};

}  // namespace nfsprov::fakes
