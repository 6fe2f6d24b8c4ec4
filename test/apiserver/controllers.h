// The parts of kube-controller-manager's PV controller a provisioner relies on: marking claims
// for an external provisioner and completing the bind of pre-bound volumes. Runs after each
// write, under the store's lock; its own writes are ordinary writes (new resourceVersion,
// watch events).
#pragma once

#include <map>
#include <set>
#include <string>

#include "test/apiserver/object_store.h"
#include "test/apiserver/resource_operations.h"

namespace nfsprov::testing::apiserver {

class Controllers {
 public:
  Controllers(ObjectStore& store, ResourceOperations& operations);
  // Reacts to every change the store recorded since the last call, until nothing changes.
  void reconcile();
  // After the store was loaded from a state file: rebuilds the volume index (otherwise kept
  // up to date only from writes) and syncs every volume and claim once, as the real PV
  // controller does when it starts, so whatever the saved objects imply takes effect: a
  // volume whose claim is gone (or is another claim now, by uid) becomes Released.
  void resync();

 private:
  void rebuild_index();
  void sync_claim(const std::string& ns, const std::string& name);
  void sync_volume(const std::string& name);
  void index_volume(const std::string& name, const nlohmann::json* pv);

  ObjectStore& store_;
  ResourceOperations& operations_;
  const ResourceType& claims_;
  const ResourceType& volumes_;
  const ResourceType& classes_;
  // "namespace/name" of a claim -> volumes whose claimRef names it; keeps a claim's sync O(1).
  std::map<std::string, std::set<std::string>> volumes_by_claim_;
  std::map<std::string, std::string> claim_of_volume_;
};

}  // namespace nfsprov::testing::apiserver
