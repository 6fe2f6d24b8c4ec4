// The API resources the provisioner touches and how their URL paths are built.
#pragma once

#include <string>
#include <string_view>

namespace nfsprov::kube {

struct Resource {
  std::string_view prefix;  // "/api/v1" or "/apis/<group>/<version>"
  std::string_view plural;  // "persistentvolumeclaims"
  bool namespaced;

  // Collection: "/api/v1/namespaces/NS/persistentvolumeclaims", or cluster-wide when ns is
  // empty ("/api/v1/persistentvolumeclaims").
  std::string collection_path(std::string_view ns = {}) const;
  // One object: ".../persistentvolumeclaims/NAME" (ns ignored for cluster-scoped kinds).
  std::string object_path(std::string_view ns, std::string_view name) const;
};

inline constexpr Resource kPersistentVolumeClaims{"/api/v1", "persistentvolumeclaims", true};
inline constexpr Resource kPersistentVolumes{"/api/v1", "persistentvolumes", false};
inline constexpr Resource kStorageClasses{"/apis/storage.k8s.io/v1", "storageclasses", false};
inline constexpr Resource kEvents{"/api/v1", "events", true};
inline constexpr Resource kLeases{"/apis/coordination.k8s.io/v1", "leases", true};
inline constexpr Resource kNamespaces{"/api/v1", "namespaces", false};

}  // namespace nfsprov::kube
