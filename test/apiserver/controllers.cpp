#include "test/apiserver/controllers.h"

#include <utility>
#include <vector>

namespace nfsprov::testing::apiserver {

using nlohmann::json;

namespace {
constexpr const char* kProvisionerAnnotation = "volume.kubernetes.io/storage-provisioner";
constexpr const char* kBetaProvisionerAnnotation = "volume.beta.kubernetes.io/storage-provisioner";
constexpr const char* kBindCompleted = "pv.kubernetes.io/bind-completed";
constexpr const char* kBoundByController = "pv.kubernetes.io/bound-by-controller";

std::string class_of(const json& claim) {
  if (claim["spec"].contains("storageClassName") && claim["spec"]["storageClassName"].is_string())
    return claim["spec"]["storageClassName"];
  auto a = claim["metadata"].value("annotations", json::object());
  return a.value("volume.beta.kubernetes.io/storage-class", "");
}
}  // namespace

Controllers::Controllers(ObjectStore& store, ResourceOperations& operations)
    : store_(store),
      operations_(operations),
      claims_(*find_resource_by_plural("persistentvolumeclaims")),
      volumes_(*find_resource_by_plural("persistentvolumes")),
      classes_(*find_resource_by_plural("storageclasses")) {
  rebuild_index();
}

void Controllers::rebuild_index() {
  volumes_by_claim_.clear();
  claim_of_volume_.clear();
  for (const json* pv : store_.list(volumes_, "")) index_volume((*pv)["metadata"]["name"], pv);
}

void Controllers::resync() {
  rebuild_index();
  // Names first: each sync may replace objects, which frees what list() pointed at.
  std::vector<std::string> volumes;
  for (const json* pv : store_.list(volumes_, "")) volumes.push_back((*pv)["metadata"]["name"]);
  std::vector<std::pair<std::string, std::string>> claims;
  for (const json* c : store_.list(claims_, "")) {
    claims.emplace_back((*c)["metadata"]["namespace"], (*c)["metadata"]["name"]);
  }
  for (const auto& name : volumes) sync_volume(name);
  for (const auto& [ns, name] : claims) sync_claim(ns, name);
  reconcile();  // the syncs' own writes, and what they lead to
}

void Controllers::reconcile() {
  // Each sync writes only when something differs, so the loop ends.
  for (int round = 0; round < 20; ++round) {
    auto changes = store_.take_changes();
    if (changes.empty()) return;
    for (const auto& change : changes) {
      if (change.resource == &claims_) {
        sync_claim(change.ns, change.name);
        if (auto it = volumes_by_claim_.find(change.ns + "/" + change.name);
            it != volumes_by_claim_.end()) {
          auto pvs = it->second;
          for (const auto& pv : pvs) sync_volume(pv);
        }
      } else if (change.resource == &volumes_) {
        index_volume(change.name, store_.find(volumes_, "", change.name));
        sync_volume(change.name);
        auto it = claim_of_volume_.find(change.name);
        if (it != claim_of_volume_.end()) {
          auto slash = it->second.find('/');
          sync_claim(it->second.substr(0, slash), it->second.substr(slash + 1));
        }
      }
    }
  }
}

void Controllers::index_volume(const std::string& name, const json* pv) {
  if (auto old = claim_of_volume_.find(name); old != claim_of_volume_.end()) {
    volumes_by_claim_[old->second].erase(name);
    if (volumes_by_claim_[old->second].empty()) volumes_by_claim_.erase(old->second);
    claim_of_volume_.erase(old);
  }
  if (!pv) return;
  const auto& spec = (*pv)["spec"];
  if (!spec.contains("claimRef") || !spec["claimRef"].is_object()) return;
  std::string key =
      spec["claimRef"].value("namespace", "") + "/" + spec["claimRef"].value("name", "");
  claim_of_volume_[name] = key;
  volumes_by_claim_[key].insert(name);
}

void Controllers::sync_claim(const std::string& ns, const std::string& name) {
  const json* found = store_.find(claims_, ns, name);
  if (!found || (*found)["metadata"].contains("deletionTimestamp")) return;
  json claim = *found;
  auto& annotations = claim["metadata"]["annotations"];
  if (!annotations.is_object()) annotations = json::object();
  std::string phase = claim["status"].value("phase", "Pending");

  if (phase == "Pending" && !claim["spec"].contains("volumeName")) {
    std::string class_name = class_of(claim);
    const json* sc = class_name.empty() ? nullptr : store_.find(classes_, "", class_name);
    if (sc) {
      std::string provisioner = (*sc).value("provisioner", "");
      if (!provisioner.empty() && !provisioner.starts_with("kubernetes.io/") &&
          annotations.value(kProvisionerAnnotation, "") != provisioner) {
        annotations[kProvisionerAnnotation] = provisioner;
        annotations[kBetaProvisionerAnnotation] = provisioner;
        operations_.update(claims_, ns, name, claim, false);
        return;  // the write comes back through reconcile()
      }
    }
  }

  // Bind to a volume pre-bound to this very claim (namespace, name and uid).
  auto it = volumes_by_claim_.find(ns + "/" + name);
  if (it == volumes_by_claim_.end() || phase == "Bound") return;
  for (const auto& pv_name : it->second) {
    const json* pv = store_.find(volumes_, "", pv_name);
    if (!pv || (*pv)["metadata"].contains("deletionTimestamp")) continue;
    const auto& ref = (*pv)["spec"]["claimRef"];
    std::string ref_uid = ref.value("uid", "");
    if (!ref_uid.empty() && ref_uid != claim["metadata"]["uid"]) continue;
    std::string volume_name = claim["spec"].value("volumeName", "");
    if (!volume_name.empty() && volume_name != pv_name) continue;
    if (volume_name.empty()) {
      claim["spec"]["volumeName"] = pv_name;
      annotations[kBoundByController] = "yes";
    }
    annotations[kBindCompleted] = "yes";
    claim = operations_.update(claims_, ns, name, claim, false);
    json status = claim.value("status", json::object());
    status["phase"] = "Bound";
    status["accessModes"] = (*pv)["spec"].value("accessModes", json::array());
    status["capacity"] = (*pv)["spec"].value("capacity", json::object());
    claim["status"] = status;
    operations_.update(claims_, ns, name, claim, true);
    return;
  }
}

void Controllers::sync_volume(const std::string& name) {
  const json* found = store_.find(volumes_, "", name);
  if (!found) return;
  const json& pv = *found;
  std::string phase = pv["status"].value("phase", "Pending");
  std::string want;
  if (!pv["spec"].contains("claimRef") || !pv["spec"]["claimRef"].is_object()) {
    want = "Available";
  } else {
    const auto& ref = pv["spec"]["claimRef"];
    std::string ref_uid = ref.value("uid", "");
    const json* claim = store_.find(claims_, ref.value("namespace", ""), ref.value("name", ""));
    if (!claim) {
      // Pre-bound to a claim not created yet waits; a claim that went away releases it.
      want = ref_uid.empty() ? "Available" : (phase == "Failed" ? phase : "Released");
    } else if (!ref_uid.empty() && ref_uid != (*claim)["metadata"]["uid"]) {
      want = "Released";
    } else if ((*claim)["spec"].value("volumeName", "") == name) {
      want = "Bound";
    } else {
      want = phase == "Released" || phase == "Failed" ? phase : "Available";
    }
  }
  if (want == phase) return;
  json next = pv;
  next["status"]["phase"] = want;
  operations_.update(volumes_, "", name, next, true);
}

}  // namespace nfsprov::testing::apiserver
