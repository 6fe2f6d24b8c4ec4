// The informers' caches on the real control plane: lists come in pages of kListPageSize, and
// another provisioner's claims are kept as compact records, the controller's as packed ones —
// what lets a Raspberry Pi provisioner live in a cluster of 50,000 claims.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

#include "provisioner/core/cache_records.h"
#include "provisioner/core/packed_object.h"
#include "provisioner/kube/informer.h"
#include "provisioner/kube/resource.h"
#include "test/e2e/e2e_env.h"
#include "test/support/objects.h"

using namespace nfsprov::e2e;
namespace kube = nfsprov::kube;
namespace core = nfsprov::core;

namespace {

constexpr const char* kNs = "cache";

void create_claims(E2eEnv& env, int count, const std::string& class_name) {
  env.ensure_namespace(kNs);
  std::atomic<int> next{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++)
        env.api().create(kube::kPersistentVolumeClaims, kNs,
                         {{"metadata", {{"name", class_name + "-" + std::to_string(i)}}},
                          {"spec",
                           {{"storageClassName", class_name},
                            {"accessModes", {"ReadWriteMany"}},
                            {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}});
    });
}

// The claim lists the provisioner's ServiceAccount made, as kube-apiserver audited them (one
// entry per request: its stage RequestReceived is left out).
std::vector<std::string> claim_lists(E2eEnv& env) {
  std::vector<std::string> uris;
  std::ifstream log(env.cluster().audit_log());
  for (std::string line; std::getline(log, line);) {
    const json e = json::parse(line, nullptr, false);
    if (e.is_discarded() || e.value("stage", "") != "ResponseComplete") continue;
    if (e.value("verb", "") != "list" ||
        str_at(e, "/objectRef/resource") != "persistentvolumeclaims")
      continue;
    if (str_at(e, "/user/username") != "system:serviceaccount:nfs-provisioner:nfs-provisioner")
      continue;
    uris.push_back(e.value("requestURI", ""));
  }
  return uris;
}

}  // namespace

TEST_CASE(
    "cache: lists page, another provisioner's claims stay compact, the controller's are "
    "packed whole") {
  E2eEnv env;
  env.api().create(kube::kStorageClasses, {},
                   {{"apiVersion", "storage.k8s.io/v1"},
                    {"kind", "StorageClass"},
                    {"metadata", {{"name", "elsewhere"}}},
                    {"provisioner", "ebs.csi.aws.com"}});
  env.create_class("nfs", json::object());
  const int kForeign = 2 * kube::kListPageSize + 200;
  create_claims(env, kForeign, "elsewhere");
  create_claims(env, 3, "nfs");

  kube::Informer claims(env.provisioner_api(), kube::kPersistentVolumeClaims);
  claims.set_transform({[](json claim) {
                          return core::claim_record(
                              std::move(claim), kProvisioner,
                              [](const std::string& name) -> std::optional<std::string> {
                                if (name == "elsewhere") return "ebs.csi.aws.com";
                                if (name == "nfs") return kProvisioner;
                                return std::nullopt;
                              });
                        },
                        core::load_record});
  std::atomic<int> added{0};
  claims.set_handlers({[&](const json&) { ++added; }, {}, {}, {}});
  std::jthread thread([&](std::stop_token stop) { claims.run(stop); });
  REQUIRE(wait_until([&] { return claims.synced(); }, 30s));
  CHECK(added == kForeign + 3);
  // In pages of kListPageSize, so the answers stay small.
  CHECK(claims.stats().list_pages == 3);

  int compact = 0, packed = 0;
  std::size_t packed_bytes = 0;
  claims.visit([&](std::string_view, std::string_view record) {
    if (core::is_compact(record)) ++compact;
    if (core::is_packed(record)) {
      ++packed;
      packed_bytes = record.size();
    }
  });
  CHECK(compact == kForeign);
  CHECK(packed == 3);
  const auto foreign = claims.get(std::string(kNs) + "/elsewhere-7");
  REQUIRE(foreign);
  CHECK(foreign->value("compact", false));
  CHECK(str_at(*foreign, "/spec/storageClassName") == "elsewhere");
  const auto ours = claims.get(std::string(kNs) + "/nfs-1");
  REQUIRE(ours);
  CHECK(str_at(*ours, "/spec/resources/requests/storage") == "1Gi");
  CHECK_FALSE(ours->contains("compact"));
  CHECK_FALSE(ours->at("metadata").contains("managedFields"));
  // The whole claim, as the API server answers it, less what nothing reads, in a fraction of
  // its text.
  const json served = env.api().get(kube::kPersistentVolumeClaims, kNs, "nfs-1");
  CHECK(str_at(*ours, "/metadata/uid") == str_at(served, "/metadata/uid"));
  CHECK(ours->at("spec") == served.at("spec"));
  CHECK(ours->at("status") == served.at("status"));
  json bare = served;
  bare["metadata"].erase("managedFields");
  INFO("packed " << packed_bytes << " bytes, as text " << bare.dump().size());
  CHECK(packed_bytes < bare.dump().size() * 2 / 3);

  // A relist asks for the latest state in pages of kListPageSize, and tells nothing new.
  added = 0;
  claims.request_relist();
  REQUIRE(wait_until([&] { return claims.stats().list_pages > 3; }, 30s));
  CHECK(wait_until([&] { return claims.stats().list_pages == 6; }, 10s));
  CHECK(wait_until([&] { return claims.stats().relists == 1; }, 10s));
  CHECK(added == 0);
}

TEST_CASE(
    "cache: a class made again naming us turns its compact claims whole, and provisions "
    "them") {
  E2eEnv env;
  env.api().create(kube::kStorageClasses, {},
                   {{"apiVersion", "storage.k8s.io/v1"},
                    {"kind", "StorageClass"},
                    {"metadata", {{"name", "moving"}}},
                    {"provisioner", "ebs.csi.aws.com"},
                    {"volumeBindingMode", "WaitForFirstConsumer"}});
  env.start_controller();
  // WaitForFirstConsumer and no pod: kube-controller-manager hands the claim to nobody yet, so
  // only its class says whose it is.
  create_claims(env, 1, "moving");
  // Time for the watch to bring it while its class is another's (if it came later, no relist
  // would be needed: the check below then fails rather than pass without testing this).
  std::this_thread::sleep_for(2s);
  env.api().remove(kube::kStorageClasses, {}, "moving");
  env.create_class("moving", json::object());
  env.create_pod(kNs, "user", "moving-0");
  env.wait_bound(kNs, "moving-0", 30s);
  const auto lists = claim_lists(env);
  INFO("claim lists: " << json(lists).dump());
  REQUIRE(lists.size() == 2);
  for (const auto& uri : lists) {  // the first list and the relist, both paged
    CHECK(uri.find("limit=500") != std::string::npos);
    CHECK(uri.find("resourceVersion=") == std::string::npos);
  }
}

TEST_CASE(
    "cache: a CSI driver's volumes, as the real server serves them, are compact records, NFS "
    "volumes and the controller's stay whole") {
  E2eEnv env;
  env.ensure_namespace(kNs);
  const json claim = env.api().create(kube::kPersistentVolumeClaims, kNs,
                                      {{"metadata", {{"name", "db"}}},
                                       {"spec",
                                        {{"storageClassName", "gp3"},
                                         {"accessModes", {"ReadWriteOnce"}},
                                         {"resources", {{"requests", {{"storage", "8Gi"}}}}}}}});
  const std::string uid = str_at(claim, "/metadata/uid");
  // As the CSI external-provisioner makes one: named pvc-<claim uid>, naming its claim.
  env.api().create(
      kube::kPersistentVolumes, {},
      {{"metadata",
        {{"name", "pvc-" + uid},
         {"annotations", {{"pv.kubernetes.io/provisioned-by", "ebs.csi.aws.com"}}},
         {"finalizers", {"external-provisioner.volume.kubernetes.io/finalizer"}}}},
       {"spec",
        {{"accessModes", {"ReadWriteOnce"}},
         {"capacity", {{"storage", "8Gi"}}},
         {"claimRef", {{"namespace", kNs}, {"name", "db"}, {"uid", uid}}},
         {"csi", {{"driver", "ebs.csi.aws.com"}, {"volumeHandle", "vol-0123456789abcdef0"}}},
         {"persistentVolumeReclaimPolicy", "Delete"},
         {"storageClassName", "gp3"}}}});
  json ours = nfsprov::testing::nfs_volume_object("pvc-ours", "nfs");
  ours["metadata"]["annotations"] = {{"pv.kubernetes.io/provisioned-by", kProvisioner}};
  env.api().create(kube::kPersistentVolumes, {}, ours);
  env.api().create(kube::kPersistentVolumes, {},
                   nfsprov::testing::nfs_volume_object("static-backup", ""));

  kube::Informer volumes(env.provisioner_api(), kube::kPersistentVolumes);
  volumes.set_transform({[](json pv) { return core::volume_record(std::move(pv), kProvisioner); },
                         core::load_record});
  std::jthread thread([&](std::stop_token stop) { volumes.run(stop); });
  REQUIRE(wait_until([&] { return volumes.synced(); }, 30s));
  std::map<std::string, bool> compact;
  volumes.visit([&](std::string_view key, std::string_view record) {
    compact[std::string(key)] = core::is_compact_volume(record);
  });
  CHECK(compact == std::map<std::string, bool>{
                       {"pvc-" + uid, true}, {"pvc-ours", false}, {"static-backup", false}});

  // What the controller reads of the CSI volume comes back as the server has it.
  const auto csi = volumes.get("pvc-" + uid);
  REQUIRE(csi);
  const json served = env.api().get(kube::kPersistentVolumes, {}, "pvc-" + uid);
  CHECK(csi->value("compact", false));
  for (const char* path :
       {"/metadata/name", "/metadata/uid", "/metadata/resourceVersion",
        "/metadata/annotations/pv.kubernetes.io~1provisioned-by", "/spec/storageClassName",
        "/spec/claimRef/namespace", "/spec/claimRef/name", "/spec/claimRef/uid",
        "/spec/persistentVolumeReclaimPolicy", "/spec/capacity/storage", "/status/phase"})
    CHECK(str_at(*csi, path) == str_at(served, path));
  CHECK_FALSE(csi->at("spec").contains("csi"));
  // An NFS volume of anyone's stays whole: its server and path are what the directory index
  // guards.
  const auto backup = volumes.get("static-backup");
  REQUIRE(backup);
  CHECK(str_at(*backup, "/spec/nfs/path") == "/export/static-backup");
}
