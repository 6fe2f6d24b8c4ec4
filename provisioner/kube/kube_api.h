// KubeApi: the Kubernetes calls the controller's steps, its Events and its leader election
// make, and nothing else (lists and watches are the informers', on the ApiClient itself).
// ApiClient is the real one; the unit tests give the controller an in-memory one
// (test/fakes/fake_kube_api.h), so every step runs against it in milliseconds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "provisioner/kube/resource.h"

namespace nfsprov::kube {

// Each call throws ApiError (api_error.h). `ns` is ignored for cluster-scoped resources.
// Implementations are thread-safe: workers, the event thread and the elector share one.
class KubeApi {
 public:
  virtual ~KubeApi() = default;

  virtual nlohmann::json get(const Resource& r, std::string_view ns, std::string_view name) = 0;
  virtual nlohmann::json create(const Resource& r, std::string_view ns,
                                const nlohmann::json& object) = 0;
  // PUT of the whole object; metadata.resourceVersion gives optimistic concurrency.
  virtual nlohmann::json update(const Resource& r, const nlohmann::json& object) = 0;
  virtual nlohmann::json merge_patch(const Resource& r, std::string_view ns, std::string_view name,
                                     const nlohmann::json& patch) = 0;
  virtual nlohmann::json merge_patch_status(const Resource& r, std::string_view ns,
                                            std::string_view name, const nlohmann::json& patch) = 0;
  // DELETE; with a uid precondition when given (never deletes a recreated namesake).
  virtual void remove(const Resource& r, std::string_view ns, std::string_view name,
                      std::optional<std::string> uid_precondition = std::nullopt) = 0;

 protected:
  KubeApi() = default;
  KubeApi(const KubeApi&) = default;
  KubeApi& operator=(const KubeApi&) = default;
};

}  // namespace nfsprov::kube
