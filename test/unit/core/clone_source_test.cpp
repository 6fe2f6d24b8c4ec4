#include <catch2/catch.hpp>

#include "provisioner/core/clone_source.h"

using namespace nfsprov::core;
using nlohmann::json;

namespace {

constexpr const char* kName = "k8s-sigs.io/nfs-subdir-external-provisioner";

ProvisionerDefaults defaults() {
  ProvisionerDefaults d{kName, {}};
  d.export_address.server = "10.0.0.5";
  d.export_address.export_path = "/home/data";
  return d;
}

// A 1Gi clone of claim "src" in namespace "web", as the API server stores it (it copies
// dataSource into dataSourceRef).
json clone_claim(const char* request = "1Gi") {
  const json source = {{"kind", "PersistentVolumeClaim"}, {"name", "src"}};
  return {{"metadata", {{"name", "copy"}, {"namespace", "web"}, {"uid", "u2"}}},
          {"spec",
           {{"dataSource", source},
            {"dataSourceRef", source},
            {"resources", {{"requests", {{"storage", request}}}}}}}};
}

json source_claim(const char* phase = "Bound", const char* request = "1Gi") {
  return {
      {"metadata", {{"name", "src"}, {"namespace", "web"}, {"uid", "u1"}}},
      {"spec", {{"volumeName", "pvc-u1"}, {"resources", {{"requests", {{"storage", request}}}}}}},
      {"status", {{"phase", phase}}}};
}

json source_volume(const char* by = kName, const char* path = "/home/data/web-src-pvc-u1") {
  return {
      {"metadata",
       {{"name", "pvc-u1"},
        {"annotations",
         {{"pv.kubernetes.io/provisioned-by", by}, {"nfs-provisioner.io/share", "/home/data"}}}}},
      {"spec", {{"nfs", {{"server", "10.0.0.5"}, {"path", path}}}}}};
}

Refusal refusal_of(const Outcome<CloneSource>& outcome) {
  REQUIRE(std::holds_alternative<Refusal>(outcome));
  return std::get<Refusal>(outcome);
}

constexpr std::uint64_t kGi = 1024ULL * 1024 * 1024;

}  // namespace

TEST_CASE("clone source: a claim in the same namespace, and nothing else", "[clone]") {
  CHECK(std::get<std::optional<std::string>>(clone_source_name(clone_claim())) == "src");
  json plain = clone_claim();
  plain["spec"].erase("dataSource");
  plain["spec"].erase("dataSourceRef");
  CHECK_FALSE(std::get<std::optional<std::string>>(clone_source_name(plain)));
  // Only dataSourceRef (a client that set only it): the same.
  json ref_only = clone_claim();
  ref_only["spec"].erase("dataSource");
  CHECK(std::get<std::optional<std::string>>(clone_source_name(ref_only)) == "src");

  const auto refused = [](const json& claim) {
    const auto outcome = clone_source_name(claim);
    REQUIRE(std::holds_alternative<Refusal>(outcome));
    return std::get<Refusal>(outcome);
  };
  json snapshot = clone_claim();
  snapshot["spec"]["dataSource"] = {
      {"apiGroup", "snapshot.storage.k8s.io"}, {"kind", "VolumeSnapshot"}, {"name", "s1"}};
  snapshot["spec"]["dataSourceRef"] = snapshot["spec"]["dataSource"];
  CHECK(refused(snapshot).reason == "UnsupportedDataSource");
  CHECK(refused(snapshot).message.starts_with(
      "claim dataSource snapshot.storage.k8s.io/VolumeSnapshot \"s1\": only a"));
  json populator = clone_claim();
  populator["spec"].erase("dataSource");
  populator["spec"]["dataSourceRef"] = {
      {"apiGroup", "hello.example.com"}, {"kind", "Hello"}, {"name", "h"}};
  CHECK(refused(populator).reason == "UnsupportedDataSource");
  json other_namespace = clone_claim();
  other_namespace["spec"]["dataSourceRef"]["namespace"] = "prod";
  CHECK(refused(other_namespace).message.find("in namespace \"prod\"") != std::string::npos);
  json same_namespace = clone_claim();
  same_namespace["spec"]["dataSourceRef"]["namespace"] = "web";
  CHECK(std::holds_alternative<std::optional<std::string>>(clone_source_name(same_namespace)));
  json mismatch = clone_claim();
  mismatch["spec"]["dataSourceRef"]["name"] = "other";
  CHECK(refused(mismatch).message.find("differs from its dataSource") != std::string::npos);
  json grouped_claim = clone_claim();
  grouped_claim["spec"]["dataSource"]["apiGroup"] = "evil.example.com";
  CHECK(refused(grouped_claim).reason == "UnsupportedDataSource");
}

TEST_CASE("clone source: a Bound claim of ours gives its export and directory", "[clone]") {
  const json src = source_claim(), pv = source_volume();
  const auto outcome = resolve_clone_source(clone_claim(), kGi, &src, &pv, nullptr, defaults());
  REQUIRE(std::holds_alternative<CloneSource>(outcome));
  const auto& found = std::get<CloneSource>(outcome);
  CHECK(found.claim == "web/src");
  CHECK(found.pv_name == "pvc-u1");
  CHECK(found.location.directory == "web-src-pvc-u1");
  CHECK(found.location.export_address.server == "10.0.0.5");
  CHECK(found.location.export_address.export_path == "/home/data");
  // A larger clone is fine.
  CHECK(std::holds_alternative<CloneSource>(
      resolve_clone_source(clone_claim("2Gi"), 2 * kGi, &src, &pv, nullptr, defaults())));
}

TEST_CASE("clone source: waits for a source not ready, refuses one not ours or larger", "[clone]") {
  const json pv = source_volume();
  const json pending = source_claim("Pending");
  CHECK(
      refusal_of(resolve_clone_source(clone_claim(), kGi, nullptr, &pv, nullptr, defaults())) ==
      Refusal{kCloneSourceNotReady, "source claim web/src does not exist; the clone waits for it"});
  CHECK(refusal_of(resolve_clone_source(clone_claim(), kGi, &pending, &pv, nullptr, defaults()))
            .reason == kCloneSourceNotReady);
  json deleting = source_claim();
  deleting["metadata"]["deletionTimestamp"] = "2026-12-01T10:00:00Z";
  CHECK(refusal_of(resolve_clone_source(clone_claim(), kGi, &deleting, &pv, nullptr, defaults()))
            .message == "source claim web/src is being deleted");
  const json bound = source_claim();
  CHECK(refusal_of(resolve_clone_source(clone_claim(), kGi, &bound, nullptr, nullptr, defaults()))
            .reason == kCloneSourceNotReady);

  const json foreign = source_volume("nfs.csi.k8s.io");
  CHECK(refusal_of(resolve_clone_source(clone_claim(), kGi, &bound, &foreign, nullptr, defaults()))
            .message ==
        "source claim web/src is on volume pvc-u1, which was provisioned by nfs.csi.k8s.io: "
        "only volumes of provisioner k8s-sigs.io/nfs-subdir-external-provisioner can be cloned");
  const json outside = source_volume(kName, "/etc");
  CHECK(refusal_of(resolve_clone_source(clone_claim(), kGi, &bound, &outside, nullptr, defaults()))
            .reason == "CloneSourceNotOurs");

  const json big = source_claim("Bound", "2Gi");
  CHECK(refusal_of(resolve_clone_source(clone_claim(), kGi, &big, &pv, nullptr, defaults())) ==
        Refusal{"CloneRequestTooSmall",
                "claim requests less storage than its source claim web/src (2Gi): a clone "
                "must request at least as much as its source"});
}
