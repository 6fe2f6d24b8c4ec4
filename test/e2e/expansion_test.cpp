// Growing a Bound claim on the real control plane: kube-controller-manager's expand
// controller hands an in-tree nfs volume to "an external controller", and we are it for the
// PVs we provisioned. What a user sees is checked with kubectl.
#include <catch2/catch.hpp>

#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"
#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace kube = nfsprov::kube;

namespace {

constexpr const char* kNs = "grow";

void create_expandable_class(E2eEnv& env, const std::string& name, bool allow,
                             const json& parameters = json::object()) {
  env.api().create(kube::kStorageClasses, {},
                   {{"apiVersion", "storage.k8s.io/v1"},
                    {"kind", "StorageClass"},
                    {"metadata", {{"name", name}}},
                    {"provisioner", kProvisioner},
                    {"allowVolumeExpansion", allow},
                    {"parameters", parameters},
                    {"reclaimPolicy", "Delete"}});
}

// A class (expandable or not), the controller running, and a 1Gi claim of it Bound: its PV.
std::string bound_claim(E2eEnv& env, const std::string& class_name, bool expandable,
                        const std::string& claim) {
  create_expandable_class(env, class_name, expandable);
  env.start_controller();
  env.create_claim(kNs, claim, class_name);
  return str_at(env.wait_bound(kNs, claim), "/spec/volumeName");
}

// `kubectl get <what> -o jsonpath=<path>`, "" when kubectl fails.
std::string get(E2eEnv& env, const std::string& what, const std::string& path) {
  std::string out;
  return env.cluster().kubectl("get " + what + " -o jsonpath=" + path, &out) == 0 ? out : "";
}

std::string claim_capacity(E2eEnv& env, const std::string& claim) {
  return get(env, "pvc " + claim + " -n " + kNs, "{.status.capacity.storage}");
}

std::string pv_capacity(E2eEnv& env, const std::string& pv) {
  return get(env, "pv " + pv, "{.spec.capacity.storage}");
}

// kubectl patch of the claim's request: its exit code, and what kubectl printed in *out.
int request(E2eEnv& env, const std::string& claim, const std::string& size, std::string* out) {
  return env.cluster().kubectl("patch pvc " + claim + " -n " + kNs +
                                   " --type merge -p '{\"spec\":{\"resources\":{\"requests\":"
                                   "{\"storage\":\"" +
                                   size + "\"}}}}'",
                               out);
}

std::string event_text(E2eEnv& env, const std::string& name) {
  std::string text;
  for (const auto& e : env.events_for(kNs, name))
    text += e.value("type", "") + " " + e.value("reason", "") + " (" +
            str_at(e, "/source/component") + "): " + e.value("message", "") + "\n";
  return text;
}

std::size_t count_events(E2eEnv& env, const std::string& name, const std::string& reason) {
  std::size_t n = 0;
  for (const auto& e : env.events_for(kNs, name))
    if (e.value("reason", "") == reason) n += static_cast<std::size_t>(e.value("count", 1));
  return n;
}

}  // namespace

TEST_CASE(
    "expansion: kube-controller-manager waits for an external controller, we raise the PV, "
    "then the claim, and never shrinks") {
  E2eEnv env;
  create_expandable_class(env, "grow-nfs", true);
  env.start_controller();
  env.create_claim(kNs, "data", "grow-nfs");
  const json bound = env.wait_bound(kNs, "data");
  const std::string pv = str_at(bound, "/spec/volumeName");
  REQUIRE(claim_capacity(env, "data") == "1Gi");

  // kube-controller-manager alone: it cannot grow an in-tree nfs volume and says so.
  env.stop_controller();
  std::string out;
  REQUIRE(request(env, "data", "2Gi", &out) == 0);
  CHECK(wait_until([&] { return env.has_event(kNs, "data", "ExternalExpanding"); }, 30s));
  INFO("events:\n" << event_text(env, "data"));
  {
    const auto events = env.events_for(kNs, "data");
    bool waiting = false;
    for (const auto& e : events)
      if (e.value("reason", "") == "ExternalExpanding")
        waiting =
            e.value("message", "") == "waiting for an external controller to expand this PVC" &&
            e.value("type", "") == "Normal";
    CHECK(waiting);
  }
  const json waiting_claim = env.get_claim(kNs, "data");
  INFO("claim while kube-controller-manager waits:\n" << waiting_claim.dump(1));
  CHECK(str_at(waiting_claim, "/status/capacity/storage") == "1Gi");
  CHECK(pv_capacity(env, pv) == "1Gi");

  // With us: the PV first, then the claim, as kubectl shows them, with Events.
  env.start_controller();
  CHECK(wait_until([&] { return claim_capacity(env, "data") == "2Gi"; }, 30s));
  CHECK(pv_capacity(env, pv) == "2Gi");
  CHECK(wait_until([&] {
    return env.has_event(kNs, "data", "Resizing") &&
           env.has_event(kNs, "data", "VolumeResizeSuccessful");
  }));
  const json grown = env.get_claim(kNs, "data");
  INFO("grown claim:\n" << grown.dump(1));
  CHECK(str_at(grown, "/status/allocatedResources/storage") == "2Gi");
  CHECK(str_at(grown, "/status/allocatedResourceStatuses/storage").empty());
  CHECK(count_events(env, "data", "VolumeResizeFailed") == 0);
  std::string describe;
  env.cluster().kubectl("describe pvc data -n " + std::string(kNs), &describe);
  INFO(describe);
  CHECK(describe.find("VolumeResizeSuccessful") != std::string::npos);
  CHECK(describe.find("Capacity:      2Gi") != std::string::npos);

  // Shrinking: Kubernetes refuses it, and the PV keeps its size.
  CHECK(request(env, "data", "1Gi", &out) != 0);
  INFO("kubectl patch to 1Gi: " << out);
  CHECK(out.find("can not be less than") != std::string::npos);
  // Again, while it runs: a second expansion, in another unit (the API server writes 3072Mi
  // as 3Gi: the canonical form is what both objects show).
  REQUIRE(request(env, "data", "3072Mi", &out) == 0);
  CHECK(wait_until([&] { return claim_capacity(env, "data") == "3Gi"; }, 30s));
  CHECK(pv_capacity(env, pv) == "3Gi");
  CHECK(count_events(env, "data", "VolumeResizeSuccessful") == 2);
  // Nothing else was expanded, nothing re-done on a resync of the cache.
  CHECK(count_events(env, "data", "Resizing") == 2);
}

TEST_CASE("expansion: a class without allowVolumeExpansion: the user's edit is refused") {
  E2eEnv env;
  const std::string pv = bound_claim(env, "fixed-nfs", false, "fixed");
  std::string out;
  CHECK(request(env, "fixed", "2Gi", &out) != 0);
  INFO("kubectl patch: " << out);
  CHECK(out.find("only dynamically provisioned pvc can be resized and the storageclass that "
                 "provisions the pvc must support resize") != std::string::npos);
  // The API client sees the same refusal as a 403.
  try {
    env.api().merge_patch(kube::kPersistentVolumeClaims, kNs, "fixed",
                          {{"spec", {{"resources", {{"requests", {{"storage", "2Gi"}}}}}}}});
    FAIL("the API accepted the edit");
  } catch (const kube::ApiError& e) {
    CHECK(e.kind() == kube::ApiErrorKind::forbidden);
  }
  CHECK(claim_capacity(env, "fixed") == "1Gi");
  CHECK(pv_capacity(env, pv) == "1Gi");
  CHECK(!env.has_event(kNs, "fixed", "Resizing"));
}

TEST_CASE("expansion: a PV raised before a crash, the claim not yet: the restart finishes it") {
  E2eEnv env;
  const std::string pv = bound_claim(env, "grow-nfs", true, "half");
  env.stop_controller();
  // What a provisioner killed between its two writes leaves: the PV raised, the claim not.
  std::string out;
  REQUIRE(request(env, "half", "5Gi", &out) == 0);
  env.cluster().kubectl_ok("patch pv " + pv +
                           " --type merge -p '{\"spec\":{\"capacity\":{\"storage\":\"5Gi\"}}}'");
  REQUIRE(claim_capacity(env, "half") == "1Gi");
  env.start_controller();
  CHECK(wait_until([&] { return claim_capacity(env, "half") == "5Gi"; }, 30s));
  CHECK(pv_capacity(env, pv) == "5Gi");
  INFO("events:\n" << event_text(env, "half"));
  CHECK(wait_until([&] { return env.has_event(kNs, "half", "VolumeResizeSuccessful"); }));
  // The PV needed nothing more: no second raise was started.
  CHECK(!env.has_event(kNs, "half", "Resizing"));
}

TEST_CASE("expansion: a static PV that is not ours is left to its owner") {
  E2eEnv env;
  // One worker: keys are worked one at a time in the order the informers queued them.
  env.options().workers = 1;
  const std::string pv = bound_claim(env, "grow-nfs", true, "mine");
  env.create_claim(kNs, "witness", "grow-nfs");
  env.wait_bound(kNs, "witness");
  // Someone else's provisioner name on the PV: not ours to grow.
  env.cluster().kubectl_ok("annotate pv " + pv +
                           " --overwrite pv.kubernetes.io/provisioned-by=other.io/nfs");
  std::string out;
  REQUIRE(request(env, "mine", "2Gi", &out) == 0);
  CHECK(wait_until([&] { return env.has_event(kNs, "mine", "ExternalExpanding"); }, 30s));
  // The controller has had its chance at "mine" once a claim of ours asked to grow after it
  // has grown, its Resizing Event posted: its update came later on the same watch, the one
  // worker took "mine" first, and Events are posted in the order they were recorded. Had
  // "mine" been grown, its capacity or a Resizing Event would show it below.
  REQUIRE(request(env, "witness", "2Gi", &out) == 0);
  CHECK(wait_until([&] { return claim_capacity(env, "witness") == "2Gi"; }, 30s));
  CHECK(wait_until([&] { return env.has_event(kNs, "witness", "Resizing"); }));
  CHECK(claim_capacity(env, "mine") == "1Gi");
  CHECK(pv_capacity(env, pv) == "1Gi");
  CHECK(!env.has_event(kNs, "mine", "Resizing"));
}

TEST_CASE(
    "expansion: growing past the export's free space is refused by capacityPolicy refuse until "
    "the user lowers it, and warned about by warn") {
  E2eEnv env;
  create_expandable_class(env, "grow-refuse", true, {{"capacityPolicy", "refuse"}});
  create_expandable_class(env, "grow-warn", true);  // warn: the default
  env.start_controller();
  env.create_claim(kNs, "strict", "grow-refuse");
  env.create_claim(kNs, "lenient", "grow-warn");
  const std::string strict_pv = str_at(env.wait_bound(kNs, "strict"), "/spec/volumeName");
  const std::string lenient_pv = str_at(env.wait_bound(kNs, "lenient"), "/spec/volumeName");

  // 100Pi is more than nfs-ganesha's backing disk has: refused, nothing raised.
  std::string out;
  REQUIRE(request(env, "strict", "100Pi", &out) == 0);
  REQUIRE(request(env, "lenient", "100Pi", &out) == 0);
  CHECK(wait_until([&] { return env.has_event(kNs, "strict", "VolumeResizeFailed"); }, 30s));
  INFO("events:\n" << event_text(env, "strict"));
  CHECK(event_text(env, "strict")
            .find("Warning VolumeResizeFailed (" + std::string(kProvisioner) +
                  "): growing the claim from 1Gi to 100Pi asks for ") != std::string::npos);
  CHECK(event_text(env, "strict").find("refused by the class's capacityPolicy \"refuse\"") !=
        std::string::npos);
  CHECK(pv_capacity(env, strict_pv) == "1Gi");
  CHECK(claim_capacity(env, "strict") == "1Gi");
  CHECK(!env.has_event(kNs, "strict", "Resizing"));

  // The user lowers the request (allowed down to status.capacity since Kubernetes 1.34's
  // RecoverVolumeExpansionFailure): it fits, and grows.
  REQUIRE(request(env, "strict", "2Gi", &out) == 0);
  CHECK(wait_until([&] { return claim_capacity(env, "strict") == "2Gi"; }, 30s));
  CHECK(pv_capacity(env, strict_pv) == "2Gi");
  CHECK(count_events(env, "strict", "VolumeResizeFailed") == 1);

  // warn: grown, with a Warning.
  CHECK(wait_until([&] { return claim_capacity(env, "lenient") == "100Pi"; }, 30s));
  CHECK(pv_capacity(env, lenient_pv) == "100Pi");
  CHECK(wait_until([&] { return env.has_event(kNs, "lenient", "CapacityExceeded"); }));
  INFO("events:\n" << event_text(env, "lenient"));
  CHECK(event_text(env, "lenient").find("grown anyway (capacityPolicy \"warn\")") !=
        std::string::npos);
}
