// `nfs-provisioner audit` against a deliberately messy export: volumes provisioned on the real
// control plane, then an orphan left as a crash would, a volume's directory removed under its
// PV, archives old and new, a hand-made "archive" and a foreign directory. The real binary's
// table and JSON say what each one is, and its cleanup changes nothing without --yes.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "test/e2e/e2e_env.h"
#include "test/support/child_process.h"
#include "test/support/temp_dir.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;

namespace {

using nfsprov::testing::TempDir;

constexpr const char* kClass = "managed-nfs-storage";
constexpr const char* kCrashed = "default-crashed-pvc-0badc0de-0000-4000-8000-000000000001";
constexpr const char* kOldArchive = "archived-default-old-pvc-0badc0de-0000-4000-8000-000000000002";
constexpr const char* kNewArchive = "archived-default-new-pvc-0badc0de-0000-4000-8000-000000000003";

// Runs the binary's audit as the provisioner's ServiceAccount: {status, stdout and stderr}.
std::pair<int, std::string> audit(E2eEnv& env, const std::vector<std::string>& args) {
  TempDir dir;
  std::vector<std::string> argv{NP_PROVISIONER_BIN, "audit",
                                "--kubeconfig=" + env.provisioner_kubeconfig().string(),
                                "--nfs-port=" + std::to_string(env.nfs().nfs_port()),
                                "--mount-port=" + std::to_string(env.nfs().mount_port())};
  argv.insert(argv.end(), args.begin(), args.end());
  nfsprov::testing::ChildProcess child(
      argv,
      {"NFS_SERVER=127.0.0.1", "NFS_PATH=/export", std::string("PROVISIONER_NAME=") + kProvisioner},
      dir.path() / "out");
  const auto status = child.wait_for(30s);
  REQUIRE(status.has_value());
  return {*status, child.output()};
}

// The table line whose first two columns are kind and path.
std::string row_of(const std::string& table, const std::string& kind, const std::string& path) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string first, second;
    words >> first >> second;
    if (first == kind && second == path) return line;
  }
  return "";
}

void write_file(const fs::path& path, std::size_t bytes) {
  std::ofstream(path) << std::string(bytes, 'x');
}

}  // namespace

TEST_CASE("audit tells volumes, orphans, missing directories, archives and foreign ones apart") {
  E2eEnv env;
  env.create_class(kClass, json::object());
  env.create_class("nested", {{"pathPattern", "${.PVC.namespace}/${.PVC.name}"}});
  env.start_controller();
  env.create_claim("default", "keep", kClass);
  env.create_claim("default", "gone", kClass);
  env.create_claim("default", "deep", "nested");
  const std::string keep_pv = "pvc-" + str_at(env.wait_bound("default", "keep"), "/metadata/uid");
  const std::string gone_pv = "pvc-" + str_at(env.wait_bound("default", "gone"), "/metadata/uid");
  env.wait_bound("default", "deep");
  // From here on nobody reacts to what is done to the export.
  env.stop_controller();
  const fs::path root = env.export_dir();
  const std::string keep_dir = "default-keep-" + keep_pv;
  const std::string gone_dir = "default-gone-" + gone_pv;
  REQUIRE(fs::is_directory(root / keep_dir));
  REQUIRE(fs::is_directory(root / "default" / "deep"));

  fs::create_directory(root / kCrashed);  // a crash's leftover: ours by its name, no PV
  write_file(root / kCrashed / "data", 10);
  fs::remove_all(root / gone_dir);  // the PV stays, Bound
  fs::create_directory(root / kOldArchive);
  write_file(root / kOldArchive / "index.html", 1000);
  fs::create_directory(root / "archived-by-hand");  // not named like ours: never removed
  fs::create_directory(root / "backups");
  write_file(root / "backups" / "db.dump", 5);
  // The old archive is 15 s older by its ctime than the new one: --delete-expired=8s below
  // takes it and not the new one, which the four audits here reach in a few seconds (well
  // under 8 s even on a loaded machine).
  std::this_thread::sleep_for(15s);
  fs::create_directory(root / kNewArchive);

  auto [status, table] = audit(env, {});
  INFO(table);
  CHECK(status == 0);
  CHECK_THAT(table, Catch::Contains("export 127.0.0.1:/export\nKIND"));
  CHECK_THAT(row_of(table, "volume", keep_dir), Catch::Contains(keep_pv + "  default/keep  Bound"));
  CHECK_THAT(row_of(table, "volume", "default/deep"), Catch::Contains("default/deep  Bound"));
  CHECK(!row_of(table, "parent", "default").empty());
  CHECK_THAT(row_of(table, "orphan", kCrashed),
             Catch::Contains("pvc-0badc0de-0000-4000-8000-000000000001"));
  CHECK_THAT(row_of(table, "missing", gone_dir),
             Catch::Contains(gone_pv + "  default/gone  Bound"));
  CHECK_THAT(row_of(table, "archive", kOldArchive), Catch::Contains("1000 B"));
  CHECK_THAT(row_of(table, "archive", kNewArchive), Catch::Contains("0 B"));
  CHECK_THAT(row_of(table, "archive", "archived-by-hand"), Catch::Contains("never removed"));
  CHECK(!row_of(table, "foreign", "backups").empty());
  CHECK(table.find(".nfs-provisioner") == std::string::npos);
  CHECK_THAT(table, Catch::Contains("totals: 2 volumes, 0 pending, 1 orphans, 1 missing, "
                                    "3 archives (1000 bytes), 1 foreign, 1 parents"));

  auto [json_status, json_out] = audit(env, {"--output", "json"});
  INFO(json_out);
  CHECK(json_status == 0);
  const auto start = json_out.find("\n{");
  REQUIRE(start != std::string::npos);
  const json doc = json::parse(json_out.substr(start + 1));
  REQUIRE(doc["exports"].size() == 1);
  CHECK(doc["exports"][0]["export"] == "127.0.0.1:/export");
  CHECK(doc["exports"][0]["totals"]["orphan"] == 1);
  CHECK(doc["exports"][0]["totals"]["archiveBytes"] == 1000);
  std::map<std::string, json> by_path;
  for (const auto& entry : doc["exports"][0]["entries"]) by_path[entry["path"]] = entry;
  CHECK(by_path[gone_dir]["kind"] == "missing");
  CHECK(by_path[gone_dir]["claim"] == "default/gone");
  CHECK(by_path[kOldArchive]["ageSeconds"].get<int>() >= 15);
  CHECK(by_path[kOldArchive]["ours"] == true);
  CHECK(by_path["backups"]["kind"] == "foreign");
  CHECK(doc["cleanup"].empty());

  // Asked, but not confirmed: printed, nothing changed.
  const std::vector<std::string> cleanup{"--archive-orphans", "--delete-expired=8s"};
  auto [dry_status, dry] = audit(env, cleanup);
  INFO(dry);
  CHECK(dry_status == 0);
  CHECK_THAT(dry, Catch::Contains(std::string("would archive 127.0.0.1:/export ") + kCrashed +
                                  " -> archived-" + kCrashed + "\n"));
  CHECK_THAT(dry, Catch::Contains(std::string("would delete 127.0.0.1:/export ") + kOldArchive));
  CHECK(dry.find(std::string("would delete 127.0.0.1:/export ") + kNewArchive) ==
        std::string::npos);
  CHECK_THAT(dry, Catch::Contains("nothing was changed: add --yes to do this"));
  CHECK(fs::is_directory(root / kCrashed));
  CHECK(fs::is_directory(root / kOldArchive));
  CHECK_FALSE(fs::exists(root / (std::string("archived-") + kCrashed)));

  std::vector<std::string> confirmed = cleanup;
  confirmed.push_back("--yes");
  auto [yes_status, done] = audit(env, confirmed);
  INFO(done);
  CHECK(yes_status == 0);
  CHECK_THAT(done, Catch::Contains(std::string("archived 127.0.0.1:/export ") + kCrashed));
  CHECK_THAT(done, Catch::Contains(std::string("deleted 127.0.0.1:/export ") + kOldArchive));
  CHECK(done.find("nothing was changed") == std::string::npos);
  CHECK_FALSE(fs::exists(root / kCrashed));
  CHECK(fs::file_size(root / (std::string("archived-") + kCrashed) / "data") == 10);
  CHECK_FALSE(fs::exists(root / kOldArchive));
  // Everything else is as it was.
  CHECK(entries(root) == std::vector<std::string>{"archived-by-hand",
                                                  std::string("archived-") + kCrashed, kNewArchive,
                                                  "backups", "default", keep_dir});
  CHECK(fs::file_size(root / "backups" / "db.dump") == 5);
}
