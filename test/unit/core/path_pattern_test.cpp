#include <catch2/catch.hpp>
#include <string>

#include "provisioner/core/path_pattern.h"

using namespace nfsprov::core;
using nlohmann::json;

namespace {

json claim_with(json labels = json::object(), json annotations = json::object()) {
  return {{"metadata",
           {{"namespace", "default"},
            {"name", "www-sample-statefulset-0"},
            {"uid", "5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10"},
            {"labels", labels},
            {"annotations", annotations}}}};
}

std::string ok(const Outcome<std::string>& outcome) {
  if (const auto* refusal = std::get_if<Refusal>(&outcome)) FAIL(refusal->message);
  return std::get<std::string>(outcome);
}

std::string refused(const Outcome<std::string>& outcome) {
  if (const auto* path = std::get_if<std::string>(&outcome)) FAIL("accepted: " + *path);
  return std::get<Refusal>(outcome).message;
}

constexpr const char* kPv = "pvc-5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10";

}  // namespace

TEST_CASE("path: the default name is <namespace>-<claim>-<pv>, as nfs-subdir", "[path]") {
  CHECK(ok(volume_directory(claim_with(), std::nullopt, kPv)) ==
        "default-www-sample-statefulset-0-pvc-5911505b-7a0b-4c9e-9a47-3c1c1a7e2f10");
}

TEST_CASE("path: pattern fields expand like nfs-subdir's regex", "[path]") {
  json claim = claim_with({{"app", "web"}, {"tier", "db"}}, {{"nfs.io/dir", "data"}});
  CHECK(expand_path_pattern("${.PVC.namespace}/${.PVC.name}", claim) ==
        "default/www-sample-statefulset-0");
  CHECK(expand_path_pattern("${.PVC.labels.app}-${.PVC.labels.tier}", claim) == "web-db");
  CHECK(expand_path_pattern("x${.PVC.annotations.nfs.io/dir}y", claim) == "xdatay");
  CHECK(expand_path_pattern("${.PVC.labels.missing}", claim) == "");
  CHECK(expand_path_pattern("${.PVC.uid}", claim) == "");  // only name and namespace are data
  CHECK(expand_path_pattern("${.PVC.labels}", claim) == "");
  CHECK(expand_path_pattern("${.PVC.name", claim) == "${.PVC.name");  // unterminated: literal
  CHECK(expand_path_pattern("plain/dir", claim) == "plain/dir");
  CHECK(expand_path_pattern("${.PVC.name}${.PVC.name}", claim) ==
        "www-sample-statefulset-0www-sample-statefulset-0");
  // One pass: a value that looks like a template stays literal.
  json tricky = claim_with({{"a", "${.PVC.name}"}});
  CHECK(expand_path_pattern("${.PVC.labels.a}", tricky) == "${.PVC.name}");
}

TEST_CASE("path: pattern directories, nested when clean", "[path]") {
  json claim = claim_with({}, {{"dir", "team/project"}});
  CHECK(ok(volume_directory(claim, "${.PVC.namespace}/${.PVC.annotations.dir}", kPv)) ==
        "default/team/project");
  CHECK(ok(volume_directory(claim, "a//b/./c/", kPv)) == "a/b/c");
  CHECK(ok(volume_directory(claim, "./x", kPv)) == "x");
}

TEST_CASE("path: an all-empty expansion falls back to the default name", "[path]") {
  CHECK(ok(volume_directory(claim_with(), "${.PVC.labels.none}", kPv)) ==
        "default-www-sample-statefulset-0-" + std::string(kPv));
  CHECK(ok(volume_directory(claim_with(), "", kPv)) ==
        "default-www-sample-statefulset-0-" + std::string(kPv));
}

TEST_CASE("path: hostile labels and annotations are refused, never escape the export", "[path]") {
  std::string pattern = "${.PVC.annotations.x}";
  auto with = [](std::string value) { return claim_with({}, {{"x", value}}); };
  CHECK_THAT(refused(volume_directory(with("../../etc"), pattern, kPv)), Catch::Contains("\"..\""));
  CHECK_THAT(refused(volume_directory(with("a/../../b"), pattern, kPv)), Catch::Contains("\"..\""));
  CHECK_THAT(refused(volume_directory(with("a/.."), pattern, kPv)), Catch::Contains("\"..\""));
  CHECK_THAT(refused(volume_directory(with("/etc/passwd"), pattern, kPv)),
             Catch::Contains("absolute"));
  CHECK_THAT(refused(volume_directory(with(std::string("a\0b", 3)), pattern, kPv)),
             Catch::Contains("NUL"));
  CHECK_THAT(refused(volume_directory(with(std::string(300, 'n')), pattern, kPv)),
             Catch::Contains("255"));
  for (const char* control : {"a\nb", "tab\there", "esc\x1b[31m", "del\x7f"})
    CHECK_THAT(refused(volume_directory(with(control), pattern, kPv)),
               Catch::Contains("control character"));
  // Any other byte is a name: UTF-8 from a label is fine.
  CHECK(ok(volume_directory(with("caf\xc3\xa9"), pattern, kPv)) == "caf\xc3\xa9");
  CHECK_THAT(refused(volume_directory(with("."), pattern, kPv)), Catch::Contains("root"));
  CHECK_THAT(refused(volume_directory(with("./"), pattern, kPv)), Catch::Contains("root"));
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += std::string(250, 'd') + "/";
  CHECK_THAT(refused(volume_directory(with(deep), pattern, kPv)), Catch::Contains("4096"));
  // ".." inside a name is just a name.
  CHECK(ok(volume_directory(with("a..b"), pattern, kPv)) == "a..b");
  CHECK(ok(volume_directory(with("..."), pattern, kPv)) == "...");
  CHECK(ok(volume_directory(with(std::string(255, 'n')), pattern, kPv)) == std::string(255, 'n'));
}

TEST_CASE("path: refusal messages are printable and bounded", "[path]") {
  auto message =
      refused(clean_relative_path(std::string("\x01\n/") + std::string(500, 'z') + "/..", "thing"));
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.find('\x01') == std::string::npos);
  CHECK(message.size() < 300);
  CHECK_THAT(message, Catch::StartsWith("thing \""));
}

TEST_CASE("path: a default name over 255 bytes is refused, not truncated", "[path]") {
  json claim = claim_with();
  claim["metadata"]["name"] = std::string(253, 'c');
  CHECK_THAT(refused(volume_directory(claim, std::nullopt, kPv)), Catch::Contains("255"));
}

TEST_CASE("path: joining to the export path", "[path]") {
  CHECK(join_export_path("/srv/nfs", "a/b") == "/srv/nfs/a/b");
  CHECK(join_export_path("/srv/nfs/", "a") == "/srv/nfs/a");
  CHECK(join_export_path("/", "a") == "/a");
}
