// What only a real control plane does, and the provisioner must fit: the PV controller binding
// a claim to a static volume before any provisioner is asked, the DefaultStorageClass
// admission giving a class-less claim our class, and pvc-protection holding a claim's deletion
// while a pod uses it.
#include <catch2/catch.hpp>

#include <fstream>

#include "provisioner/kube/resource.h"
#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;
using nfsprov::kube::kPersistentVolumes;
using nfsprov::kube::kStorageClasses;

namespace {

bool has_event_of_ours(E2eEnv& env, const std::string& ns, const std::string& name) {
  for (const char* reason : {"Provisioning", "ProvisioningSucceeded", "ProvisioningFailed"})
    if (env.has_event(ns, name, reason)) return true;
  return false;
}

}  // namespace

TEST_CASE(
    "a claim the PV controller binds to a static PV made by hand is never provisioned by us") {
  E2eEnv env;
  env.create_class("managed-nfs-storage", {{"archiveOnDelete", "true"}});
  // The "reuse my old data" pattern: a directory with data and a PV for it, made by hand.
  fs::create_directories(env.export_dir() / "old-data");
  std::ofstream(env.export_dir() / "old-data" / "index.html") << "kept";
  env.api().create(kPersistentVolumes, {},
                   {{"apiVersion", "v1"},
                    {"kind", "PersistentVolume"},
                    {"metadata", {{"name", "static-old-data"}}},
                    {"spec",
                     {{"capacity", {{"storage", "1Gi"}}},
                      {"accessModes", {"ReadWriteMany"}},
                      {"persistentVolumeReclaimPolicy", "Retain"},
                      {"storageClassName", "managed-nfs-storage"},
                      {"nfs", {{"server", "127.0.0.1"}, {"path", "/export/old-data"}}}}}});
  REQUIRE(wait_until([&] {
    const auto pv = env.find_pv("static-old-data");
    return pv && str_at(*pv, "/status/phase") == "Available";
  }));
  env.start_controller();
  env.create_claim("default", "reuse", "managed-nfs-storage");
  const json reuse = env.wait_bound("default", "reuse", 60s);
  CHECK(str_at(reuse, "/spec/volumeName") == "static-old-data");

  // Positive evidence that the provisioner was at work meanwhile: a second claim, which no
  // static PV fits, gets its volume; the first one got nothing from us.
  env.create_claim("default", "fresh", "managed-nfs-storage");
  const json fresh = env.wait_bound("default", "fresh", 60s);
  CHECK(str_at(fresh, "/spec/volumeName") == "pvc-" + str_at(fresh, "/metadata/uid"));
  CHECK_FALSE(env.find_pv("pvc-" + str_at(reuse, "/metadata/uid")));
  CHECK(env.list_pvs().size() == 2);
  CHECK(
      entries(env.export_dir()) ==
      std::vector<std::string>{"default-fresh-pvc-" + str_at(fresh, "/metadata/uid"), "old-data"});
  CHECK_FALSE(has_event_of_ours(env, "default", "reuse"));
  CHECK(fs::exists(env.export_dir() / "old-data" / "index.html"));
}

TEST_CASE("the default StorageClass gives a claim that names no class our volume") {
  E2eEnv env;
  env.api().create(kStorageClasses, {},
                   {{"apiVersion", "storage.k8s.io/v1"},
                    {"kind", "StorageClass"},
                    {"metadata",
                     {{"name", "managed-nfs-storage"},
                      {"annotations", {{"storageclass.kubernetes.io/is-default-class", "true"}}}}},
                    {"provisioner", kProvisioner},
                    {"parameters", {{"archiveOnDelete", "false"}}}});
  env.start_controller();
  env.create_claim("default", "classless", "", {{"spec", {{"storageClassName", nullptr}}}});
  const json claim = env.wait_bound("default", "classless", 60s);
  // The DefaultStorageClass admission plugin wrote the class into the claim.
  CHECK(str_at(claim, "/spec/storageClassName") == "managed-nfs-storage");
  CHECK(fs::is_directory(env.export_dir() /
                         ("default-classless-pvc-" + str_at(claim, "/metadata/uid"))));
}

TEST_CASE("pvc-protection: deleting a claim a pod uses waits for the pod, then archives") {
  E2eEnv env;
  env.create_class("managed-nfs-storage", {{"archiveOnDelete", "true"}});
  env.start_controller();
  env.create_claim("default", "in-use", "managed-nfs-storage");
  const json claim = env.wait_bound("default", "in-use", 60s);
  const std::string pv_name = str_at(claim, "/spec/volumeName");
  const std::string dir = "default-in-use-" + pv_name;
  env.create_pod("default", "user", "in-use");
  REQUIRE(wait_until(
      [&] { return str_at(env.get_pod("default", "user"), "/status/phase") == "Running"; }, 60s));

  env.delete_claim("default", "in-use");
  // Terminating, not gone: kubernetes.io/pvc-protection holds it while the pod runs.
  json terminating;
  REQUIRE(wait_until([&] {
    terminating = env.get_claim("default", "in-use");
    return !str_at(terminating, "/metadata/deletionTimestamp").empty();
  }));
  CHECK(terminating.at("/metadata/finalizers"_json_pointer)
            .dump()
            .find("kubernetes.io/pvc-protection") != std::string::npos);
  // Meanwhile our volume stays Bound and whole.
  const auto pv = env.find_pv(pv_name);
  REQUIRE(pv);
  CHECK(str_at(*pv, "/status/phase") == "Bound");
  CHECK(fs::is_directory(env.export_dir() / dir));

  env.api().remove(kPods, "default", "user");
  CHECK(wait_until([&] { return !env.find_pv(pv_name); }, 60s));
  CHECK(entries(env.export_dir()) == std::vector<std::string>{"archived-" + dir});
}
