#include "provisioner/ops/export_check.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "test/nfs_server/ganesha_server.h"

using namespace nfsprov::ops;
using nfsprov::testing::ExportMode;
using nfsprov::testing::ExportSpec;
using nfsprov::testing::GaneshaServer;

namespace {

const CheckLine* line_named(const ExportCheckResult& result, std::string_view name) {
  for (const auto& line : result.lines) {
    if (line.name == name) return &line;
  }
  return nullptr;
}

// Nothing the check made may stay behind on the server.
int probes_left(const std::filesystem::path& dir) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with(".nfs-provisioner-check-")) ++count;
  }
  return count;
}

// As root, so the root squash check runs whatever user runs the tests.
nfsprov::nfs::ExportAddress as_root(nfsprov::nfs::ExportAddress address) {
  address.uid = 0;
  address.gid = 0;
  return address;
}

ExportCheckOptions no_space_limit() {
  ExportCheckOptions options;
  options.low_space_bytes = 0;
  return options;
}

}  // namespace

TEST_CASE("a healthy export passes every check and keeps nothing", "[export_check]") {
  GaneshaServer server({ExportSpec{"export", ExportMode::read_write}});
  const auto result = check_export(as_root(server.address()), no_space_limit());
  INFO(format_check(result));
  CHECK(result.ok());
  CHECK(result.usable());
  CHECK(result.first_problem() == Finding::none);
  for (const char* name :
       {"portmapper", "mount", "nfsv3", "free space", "write", "root squash", "round trip"}) {
    INFO(name);
    REQUIRE(line_named(result, name) != nullptr);
    CHECK(line_named(result, name)->verdict == Verdict::pass);
  }
  CHECK(line_named(result, "portmapper")->detail.find("not needed") != std::string::npos);
  CHECK(probes_left(server.export_dir()) == 0);

  const auto text = format_check(result);
  CHECK(text.find("PASS round trip: create, archive (rename) and delete") != std::string::npos);
  CHECK(text.find("Result: PASS") != std::string::npos);
  CHECK(text.find("fix:") == std::string::npos);

  const auto summary = summarize(result);
  CHECK(summary.finding == Finding::none);
  CHECK(summary.line.starts_with("NFS export 127.0.0.1:/export ok ("));
  CHECK(summary.line.find("GiB available") != std::string::npos);
}

TEST_CASE("too little free space is a warning", "[export_check]") {
  GaneshaServer server({ExportSpec{"export", ExportMode::read_write}});
  ExportCheckOptions options;
  options.low_space_bytes = ~0ULL;
  const auto result = check_export(as_root(server.address()), options);
  INFO(format_check(result));
  REQUIRE(line_named(result, "free space") != nullptr);
  CHECK(line_named(result, "free space")->verdict == Verdict::warn);
  CHECK_FALSE(result.ok());
  CHECK(result.usable());
  CHECK(result.first_problem() == Finding::low_space);
  CHECK(probes_left(server.export_dir()) == 0);
}

TEST_CASE("a read-only export fails the write check with the rw fix", "[export_check]") {
  GaneshaServer server({ExportSpec{"ro", ExportMode::read_only}});
  const auto result = check_export(as_root(server.address("ro")), no_space_limit());
  INFO(format_check(result));
  CHECK_FALSE(result.ok());
  CHECK_FALSE(result.usable());
  CHECK(result.first_problem() == Finding::read_only);
  const auto* write = line_named(result, "write");
  REQUIRE(write != nullptr);
  CHECK(write->verdict == Verdict::fail);
  CHECK(write->fix.find("rw") != std::string::npos);
  CHECK(line_named(result, "round trip") == nullptr);  // cannot run without write
  CHECK(line_named(result, "mount")->verdict == Verdict::pass);
  CHECK(probes_left(server.export_dir("ro")) == 0);

  const auto text = format_check(result);
  CHECK(text.find("FAIL write: the export is read-only") != std::string::npos);
  CHECK(text.find("     fix: export it read-write") != std::string::npos);
  CHECK(text.find("Result: FAIL (1 failed") != std::string::npos);
  CHECK(summarize(result).line.find(": FAIL write: the export is read-only") != std::string::npos);
}

TEST_CASE("a root-squashed export warns, names the fix and still round-trips", "[export_check]") {
  GaneshaServer server({ExportSpec{"squashed", ExportMode::root_squash}});
  const auto result = check_export(as_root(server.address("squashed")), no_space_limit());
  INFO(format_check(result));
  CHECK_FALSE(result.ok());
  CHECK(result.usable());
  CHECK(result.first_problem() == Finding::root_squashed);
  const auto* squash = line_named(result, "root squash");
  REQUIRE(squash != nullptr);
  CHECK(squash->verdict == Verdict::warn);
  CHECK(squash->detail.find("root is squashed") != std::string::npos);
  CHECK(squash->fix.find("no_root_squash") != std::string::npos);
  CHECK(squash->fix.find("all_squash,anonuid=") != std::string::npos);
  REQUIRE(line_named(result, "round trip") != nullptr);
  CHECK(line_named(result, "round trip")->verdict == Verdict::pass);
  CHECK(probes_left(server.export_dir("squashed")) == 0);

  const auto summary = summarize(result);
  CHECK(summary.finding == Finding::root_squashed);
  CHECK(summary.line.find("WARN root squash: root is squashed") != std::string::npos);
}

TEST_CASE("a stopped server is unreachable, and the diagnosis says so in one line",
          "[export_check]") {
  GaneshaServer server({ExportSpec{"export", ExportMode::read_write}});
  const auto address = as_root(server.address());
  CHECK(diagnose_export(address).finding == Finding::none);
  server.stop();

  const auto result = check_export(address, no_space_limit());
  INFO(format_check(result));
  CHECK_FALSE(result.usable());
  CHECK(result.first_problem() == Finding::unreachable);
  REQUIRE(line_named(result, "mount") != nullptr);
  CHECK(line_named(result, "mount")->verdict == Verdict::fail);
  CHECK(line_named(result, "write") == nullptr);

  const auto diagnosis = diagnose_export(address);
  CHECK(diagnosis.finding == Finding::unreachable);
  CHECK(diagnosis.line.starts_with("NFS export 127.0.0.1:/export: FAIL mount:"));
  CHECK(diagnosis.line.find('\n') == std::string::npos);
}

TEST_CASE("an export the server does not have is a refused mount", "[export_check]") {
  GaneshaServer server({ExportSpec{"export", ExportMode::read_write}});
  auto address = as_root(server.address());
  address.export_path = "/no-such-export";
  const auto result = check_export(address, no_space_limit());
  INFO(format_check(result));
  CHECK_FALSE(result.usable());
  // Without the right to bind a port below 1024 a refusal may be the `secure` option.
  const auto expected =
      ::geteuid() == 0 ? Finding::mount_refused : Finding::privileged_port_required;
  CHECK((result.first_problem() == expected || result.first_problem() == Finding::mount_refused));
  REQUIRE(line_named(result, "mount") != nullptr);
  CHECK(line_named(result, "mount")->fix.find("exportfs") != std::string::npos);
}

TEST_CASE("without explicit ports the portmapper is checked first", "[export_check]") {
  // The ganesha fixture needs rpcbind on 127.0.0.1:111 for NFSv3, so it answers here. Ports
  // from the portmapper may lead to another test's ganesha: the export path exists on none,
  // so the check stops at the mount and writes nothing anywhere.
  GaneshaServer server({ExportSpec{"export", ExportMode::read_write}});
  auto address = as_root(server.address("export", std::chrono::seconds(2)));
  address.nfs_port = 0;
  address.mount_port = 0;
  address.export_path = "/ops-check-no-such-export";
  const auto result = check_export(address, no_space_limit());
  INFO(format_check(result));
  REQUIRE(result.lines.size() == 2);
  CHECK(result.lines[0].name == "portmapper");
  CHECK(result.lines[0].verdict == Verdict::pass);
  CHECK(result.lines[0].detail == "answers on 127.0.0.1:111");
  CHECK(result.lines[1].name == "mount");
  CHECK(result.lines[1].verdict == Verdict::fail);
}
