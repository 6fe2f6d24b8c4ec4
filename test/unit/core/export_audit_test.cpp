#include <catch2/catch.hpp>

#include "provisioner/core/audit_format.h"
#include "provisioner/core/export_audit.h"

using namespace nfsprov;
using namespace nfsprov::core;
using nlohmann::json;
using std::chrono::seconds;

namespace {

constexpr const char* kOurs = "example.com/nfs";
constexpr const char* kUid1 = "11111111-2222-3333-4444-555555555555";
constexpr const char* kUid2 = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
constexpr const char* kUid3 = "01234567-89ab-cdef-0123-456789abcdef";
constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kNow = 1'800'000'000 * kSecond;

nfs::ExportAddress address() {
  nfs::ExportAddress a;
  a.server = "10.0.0.5";
  a.export_path = "/srv/nfs";
  return a;
}

json pv(const std::string& name, const std::string& path, const std::string& provisioner = kOurs,
        const std::string& server = "10.0.0.5") {
  return {{"metadata",
           {{"name", name}, {"annotations", {{"pv.kubernetes.io/provisioned-by", provisioner}}}}},
          {"spec",
           {{"nfs", {{"server", server}, {"path", path}}},
            {"claimRef", {{"namespace", "default"}, {"name", name.substr(0, 8)}}}}},
          {"status", {{"phase", "Bound"}}}};
}

nfs::SurveyEntry dir(std::string path, std::int64_t changed_ns = kNow) {
  return {std::move(path), nfs::FileType::directory, changed_ns};
}

const AuditRow& row_at(const AuditReport& report, const std::string& path) {
  for (const auto& row : report.rows)
    if (row.path == path) return row;
  FAIL("no row for " << path);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("volume_name_in recognises <namespace>-<claim>-pvc-<uid> and nothing looser") {
  CHECK(volume_name_in(std::string("default-www-0-pvc-") + kUid1) == std::string("pvc-") + kUid1);
  CHECK_FALSE(volume_name_in(std::string("pvc-") + kUid1));  // no namespace/claim part
  CHECK_FALSE(volume_name_in("default-www-pvc-1"));
  CHECK_FALSE(volume_name_in(std::string("a-pvc-") + "11111111-2222-3333-4444-55555555555G"));
  CHECK_FALSE(volume_name_in(std::string("a-pvc-") + kUid1 + "x"));
}

TEST_CASE("volumes_on_export keeps the PVs strictly inside the export, relative to it") {
  const json items = json::array(
      {pv("pvc-a", "/srv/nfs/default-a"), pv("pvc-b", "/srv/nfs//ns/b/"),
       pv("pvc-whole", "/srv/nfs", "someone"), pv("pvc-other", "/srv/other/x"),
       pv("pvc-climb", "/srv/nfs/../etc"), pv("pvc-far", "/srv/nfs/c", kOurs, "10.0.0.6"),
       pv("pvc-static", "/srv/nfs/static", "")});
  const auto volumes = volumes_on_export(items, address(), kOurs);
  REQUIRE(volumes.size() == 3);
  CHECK(volumes[0].directory == "default-a");
  CHECK(volumes[0].claim == "default/pvc-a");
  CHECK(volumes[0].ours);
  CHECK(volumes[1].directory == "ns/b");
  CHECK(volumes[2].pv_name == "pvc-static");
  CHECK_FALSE(volumes[2].ours);
  CHECK(directories_to_list(volumes, {}) == std::vector<std::string>{"", "ns"});
  CHECK(directories_to_list({}, {{"pvc-x", "c", "p/q/r", 0}}) ==
        std::vector<std::string>{"", "p", "p/q"});
}

TEST_CASE("classify_export: volumes, parents, orphans, archives, foreign and missing") {
  const std::string bound = std::string("default-a-pvc-") + kUid1;
  const std::string lost = std::string("default-lost-pvc-") + kUid2;
  const std::string gone = std::string("default-gone-pvc-") + kUid3;
  const json items = json::array(
      {pv(std::string("pvc-") + kUid1, "/srv/nfs/" + bound), pv("pvc-nested", "/srv/nfs/team/data"),
       pv("pvc-vanished", "/srv/nfs/vanished"), pv("pvc-static", "/srv/nfs/backup", "")});
  const auto volumes = volumes_on_export(items, address(), kOurs);
  const std::vector<nfs::SurveyEntry> entries{
      dir(bound),
      dir("team"),
      dir("team/data"),
      dir("team/archived-old", kNow - 40 * 86400 * kSecond),
      dir(lost),
      dir("archived-" + gone, kNow - 3 * 86400 * kSecond),
      dir("archived-" + gone + "-20261125T151828Z", kNow - 10 * kSecond),
      dir("archived-by-hand"),
      dir("backup"),
      dir("photos"),
      {"notes.txt", nfs::FileType::regular, kNow},
      dir(".nfs-provisioner"),
      dir("recorded")};
  const std::vector<nfs::VolumeRecord> records{{"pvc-rec", "fast", "recorded", kNow}};
  const auto report = classify_export("10.0.0.5:/srv/nfs", volumes,
                                      live_names(items, json::array()), entries, records, kNow);

  CHECK(row_at(report, bound).kind == AuditKind::volume);
  CHECK(row_at(report, bound).claim == "default/pvc-1111");
  CHECK(row_at(report, "team").kind == AuditKind::parent);
  CHECK(row_at(report, "team/data").pv_name == "pvc-nested");
  CHECK(row_at(report, "backup").kind == AuditKind::volume);  // a static PV's data
  CHECK_FALSE(row_at(report, "backup").ours);
  CHECK(row_at(report, lost).kind == AuditKind::orphan);
  CHECK(row_at(report, lost).pv_name == std::string("pvc-") + kUid2);
  CHECK(row_at(report, "recorded").kind == AuditKind::orphan);
  CHECK(row_at(report, "recorded").note == "volume record, no PV or claim");
  const auto& old_archive = row_at(report, "archived-" + gone);
  CHECK(old_archive.kind == AuditKind::archive);
  CHECK(old_archive.ours);
  CHECK(old_archive.age == seconds(3 * 86400));
  CHECK(row_at(report, "archived-" + gone + "-20261125T151828Z").ours);
  CHECK_FALSE(row_at(report, "archived-by-hand").ours);
  CHECK_FALSE(row_at(report, "team/archived-old").ours);
  CHECK(row_at(report, "photos").kind == AuditKind::foreign);
  CHECK(row_at(report, "notes.txt").kind == AuditKind::foreign);
  CHECK(row_at(report, "vanished").kind == AuditKind::missing);
  for (const auto& row : report.rows) CHECK(row.path != ".nfs-provisioner");
  CHECK(report.count(AuditKind::archive) == 4);
  CHECK(report.count(AuditKind::missing) == 1);

  SECTION("a directory whose claim exists is being provisioned, not an orphan") {
    const json claims = json::array({{{"metadata", {{"uid", kUid2}}}}});
    const auto busy =
        classify_export("x", volumes, live_names(items, claims), entries, records, kNow);
    CHECK(row_at(busy, lost).kind == AuditKind::pending);
    CHECK(plan_cleanup(busy, true, std::nullopt).size() == 1);  // only "recorded"
  }

  SECTION("a directory named for a PV on another server spelling is that PV's, not an orphan") {
    json elsewhere = items;
    elsewhere.push_back(pv(std::string("pvc-") + kUid2, "/srv/nfs/" + lost, kOurs, "nas.lan"));
    const auto report2 =
        classify_export("x", volumes, live_names(elsewhere, json::array()), entries, records, kNow);
    CHECK(row_at(report2, lost).kind == AuditKind::foreign);
    CHECK(row_at(report2, lost).note ==
          std::string("PV pvc-") + kUid2 + " is on another server or share");
  }

  SECTION("cleanup touches only orphans and expired archives of ours") {
    CHECK(plan_cleanup(report, false, std::nullopt).empty());
    const auto plan = plan_cleanup(report, true, seconds(86400));
    REQUIRE(plan.size() == 3);
    CHECK(plan[0].kind == CleanupAction::Kind::remove);
    CHECK(plan[0].path == "archived-" + gone);
    CHECK(plan[1].kind == CleanupAction::Kind::archive);
    CHECK(plan[1].path == lost);
    CHECK(plan[1].target == "archived-" + lost);
    CHECK(plan[2].target == "archived-recorded");
    // The 40-day-old archive not named like ours, and the by-hand one, stay at any age.
    for (const auto& step : plan_cleanup(report, false, seconds(1)))
      CHECK(step.path.starts_with("archived-default-gone"));
  }

  SECTION("the table and the JSON say the same") {
    auto measured = report;
    for (auto& row : measured.rows)
      if (row.kind == AuditKind::archive) row.size = nfs::TreeSize{1234, 3, row.ours};
    const std::vector<CleanupOutcome> steps{{"10.0.0.5:/srv/nfs",
                                             plan_cleanup(report, true, std::nullopt).front(),
                                             CleanupOutcome::State::planned, ""}};
    const std::string table = audit_table({measured}, steps);
    CHECK_THAT(table, Catch::Contains("export 10.0.0.5:/srv/nfs\nKIND "));
    CHECK_THAT(table, Catch::Contains("missing  vanished"));
    CHECK_THAT(table, Catch::Contains("3d"));
    CHECK_THAT(table, Catch::Contains(">= 1234 B"));
    CHECK_THAT(table, Catch::Contains("totals: 3 volumes, 0 pending, 2 orphans, 1 missing, "
                                      "4 archives (4936 bytes), 2 foreign, 1 parents"));
    CHECK_THAT(table, Catch::Contains("would archive 10.0.0.5:/srv/nfs " + lost + " -> archived-" +
                                      lost + "\n"));
    CHECK_THAT(table, Catch::EndsWith("nothing was changed: add --yes to do this\n"));
    const json doc = audit_json({measured}, steps);
    CHECK(doc["exports"][0]["totals"]["orphan"] == 2);
    CHECK(doc["exports"][0]["totals"]["archiveBytes"] == 4936);
    CHECK(doc["cleanup"][0]["state"] == "planned");
    CHECK(doc["cleanup"][0]["target"] == "archived-" + lost);
    bool found = false;
    for (const auto& entry : doc["exports"][0]["entries"])
      if (entry["path"] == "archived-" + gone) {
        found = true;
        CHECK(entry["ageSeconds"] == 3 * 86400);
        CHECK(entry["sizeBytes"] == 1234);
        CHECK(entry["ours"] == true);
      }
    CHECK(found);
  }
}
