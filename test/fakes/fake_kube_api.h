// FakeKubeApi: an in-memory kube::KubeApi with the API server's rules that the controller
// relies on: names are unique (AlreadyExists); a stale resourceVersion (in an update, or in a
// merge patch's metadata) and a uid precondition that does not match are a Conflict; a DELETE
// of an object with finalizers only marks it deleted, and the update that drops its last
// finalizer removes it. Every call is logged, and a fault hook may fail (or "crash") any call
// before it takes effect.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "provisioner/kube/kube_api.h"

namespace nfsprov::fakes {

class FakeKubeApi final : public kube::KubeApi {
 public:
  struct Call {
    std::string verb;      // "get", "create", "update", "patch", "patch-status", "delete"
    std::string resource;  // the plural: "persistentvolumes"
    std::string ns;
    std::string name;
    nlohmann::json body;  // what was sent (null for get and delete)
  };
  // Runs before a call takes effect (outside the fake's lock): throwing fails the call.
  using Fault = std::function<void(const Call& call)>;

  nlohmann::json get(const kube::Resource& r, std::string_view ns, std::string_view name) override;
  nlohmann::json create(const kube::Resource& r, std::string_view ns,
                        const nlohmann::json& object) override;
  nlohmann::json update(const kube::Resource& r, const nlohmann::json& object) override;
  nlohmann::json merge_patch(const kube::Resource& r, std::string_view ns, std::string_view name,
                             const nlohmann::json& patch) override;
  nlohmann::json merge_patch_status(const kube::Resource& r, std::string_view ns,
                                    std::string_view name, const nlohmann::json& patch) override;
  void remove(const kube::Resource& r, std::string_view ns, std::string_view name,
              std::optional<std::string> uid_precondition = std::nullopt) override;

  // For the test: stores object as the server would have it (uid and resourceVersion given
  // when it has none), without a call being logged. Returns what is stored.
  nlohmann::json put(const kube::Resource& r, nlohmann::json object);
  std::optional<nlohmann::json> find(const kube::Resource& r, std::string_view ns,
                                     std::string_view name) const;
  std::vector<nlohmann::json> objects(const kube::Resource& r) const;
  std::vector<Call> calls() const;
  // How many calls of verb on resource were made (failed ones included).
  std::size_t count(std::string_view verb, const kube::Resource& r) const;
  void set_fault(Fault fault);
  // Blocks until condition holds for the calls made so far (asked again after every call);
  // false when `limit` passes first. For calls another thread makes (an elector's).
  bool wait_for_calls(const std::function<bool(const std::vector<Call>& calls)>& condition,
                      std::chrono::milliseconds limit = std::chrono::seconds(10)) const;

 private:
  using Key = std::string;
  static Key key(const kube::Resource& r, std::string_view ns, std::string_view name);
  // Logs the call and runs the fault hook; throws what the hook throws.
  void begin(const Call& call);
  nlohmann::json store(const Key& key, nlohmann::json object);  // new resourceVersion; locked
  // Merges applied into the object at key, if patch's resourceVersion (if any) is current.
  nlohmann::json apply_patch(const Key& key, const nlohmann::json& patch,
                             const nlohmann::json& applied);

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<Key, nlohmann::json> objects_;
  std::vector<Call> calls_;
  Fault fault_;
  std::uint64_t next_version_ = 1;
  std::uint64_t next_uid_ = 1;
};

}  // namespace nfsprov::fakes
