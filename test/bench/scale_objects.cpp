#include "test/bench/scale_objects.h"

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "provisioner/kube/resource.h"
#include "test/support/objects.h"

namespace nfsprov::bench {
namespace {

using nlohmann::json;

// Runs make(i) for i in [0, count) on 8 threads.
void in_parallel(int count, const std::function<void(int)>& make) {
  std::atomic<int> next{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) make(i);
    });
}

json claim(const std::string& ns, const std::string& name, const std::string& class_name,
           const std::string& handed_to) {
  json claim = nfsprov::testing::claim_object(ns, name, class_name);
  claim["metadata"]["labels"] = {{"app", "bench"}};
  if (!handed_to.empty())
    claim["metadata"]["annotations"] = {
        {"volume.kubernetes.io/storage-provisioner", handed_to},
        {"volume.beta.kubernetes.io/storage-provisioner", handed_to}};
  return claim;
}

json csi_volume(const std::string& name, const std::string& ns, const std::string& claim_name,
                const std::string& class_name, const std::string& driver) {
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolume"},
          {"metadata",
           {{"name", name},
            {"annotations",
             {{"pv.kubernetes.io/provisioned-by", driver},
              {"volume.kubernetes.io/provisioner-deletion-secret-name", ""},
              {"volume.kubernetes.io/provisioner-deletion-secret-namespace", ""}}},
            {"finalizers", {"external-provisioner.volume.kubernetes.io/finalizer"}}}},
          {"spec",
           {{"accessModes", {"ReadWriteOnce"}},
            {"capacity", {{"storage", "1Gi"}}},
            {"claimRef",
             {{"apiVersion", "v1"},
              {"kind", "PersistentVolumeClaim"},
              {"namespace", ns},
              {"name", claim_name}}},
            {"csi",
             {{"driver", driver},
              {"fsType", "ext4"},
              {"volumeAttributes",
               {{"storage.kubernetes.io/csiProvisionerIdentity", "1733040000000-8081-" + driver}}},
              {"volumeHandle", "vol-" + name.substr(4)}}},
            {"nodeAffinity",
             {{"required",
               {{"nodeSelectorTerms",
                 {{{"matchExpressions",
                    {{{"key", "topology.kubernetes.io/zone"},
                      {"operator", "In"},
                      {"values", {"eu-west-1a"}}}}}}}}}}}},
            {"persistentVolumeReclaimPolicy", "Delete"},
            {"storageClassName", class_name},
            {"volumeMode", "Filesystem"}}}};
}

}  // namespace

void create_claims(kube::ApiClient& api, const std::string& ns, const std::string& prefix,
                   int count, const std::string& class_name, const std::string& handed_to) {
  in_parallel(count, [&](int i) {
    api.create(kube::kPersistentVolumeClaims, ns,
               claim(ns, prefix + std::to_string(i), class_name, handed_to));
  });
}

void create_bound_claims(kube::ApiClient& api, const std::string& ns, const std::string& prefix,
                         int count, const std::string& class_name, const std::string& provisioner) {
  // As a CSI driver's external-provisioner and kube-controller-manager leave them: the volume
  // named pvc-<claim uid>, naming the claim's uid; the claim naming the volume; both Bound.
  // Bound here: kube-controller-manager's binder does a few a second, and would still be
  // writing both objects while the provisioner's memory is measured.
  in_parallel(count, [&](int i) {
    const std::string name = prefix + std::to_string(i);
    json pending = claim(ns, name, class_name, provisioner);
    pending["spec"]["accessModes"] = {"ReadWriteOnce"};
    const json made = api.create(kube::kPersistentVolumeClaims, ns, pending);
    const std::string uid = made["metadata"]["uid"];
    const std::string volume = "pvc-" + uid;
    json pv = csi_volume(volume, ns, name, class_name, provisioner);
    pv["spec"]["claimRef"]["uid"] = uid;
    pv["spec"]["claimRef"]["resourceVersion"] = made["metadata"]["resourceVersion"];
    api.create(kube::kPersistentVolumes, {}, pv);
    api.merge_patch_status(kube::kPersistentVolumes, {}, volume,
                           {{"status", {{"phase", "Bound"}}}});
    api.merge_patch(kube::kPersistentVolumeClaims, ns, name,
                    {{"metadata",
                      {{"annotations",
                        {{"pv.kubernetes.io/bind-completed", "yes"},
                         {"pv.kubernetes.io/bound-by-controller", "yes"}}}}},
                     {"spec", {{"volumeName", volume}}}});
    api.merge_patch_status(kube::kPersistentVolumeClaims, ns, name,
                           {{"status",
                             {{"phase", "Bound"},
                              {"accessModes", {"ReadWriteOnce"}},
                              {"capacity", {{"storage", "1Gi"}}}}}});
  });
}

std::size_t volumes_of(kube::ApiClient& api, const std::string& class_name) {
  std::size_t n = 0;
  // Held first: a range-for over a member of a temporary would outlive the temporary.
  const json pvs = api.list(kube::kPersistentVolumes);
  for (const auto& pv : pvs["items"])
    if (pv["spec"].value("storageClassName", "") == class_name) ++n;
  return n;
}

}  // namespace nfsprov::bench
