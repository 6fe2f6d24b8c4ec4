// The semantics of the API verbs as the real server applies them: defaults, validation,
// optimistic concurrency, the status subresource, finalizers and delete preconditions.
// Every call expects the store's lock held; failures throw StatusError.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "test/apiserver/object_store.h"
#include "test/apiserver/selector.h"

namespace nfsprov::testing::apiserver {

// Whether a write reaches the store. dry_run is ?dryRun=All: the request is validated and
// answered as if it had been applied, but nothing is stored, the resourceVersion does not
// move and no watch sees an event.
enum class WriteMode { commit, dry_run };

class ResourceOperations {
 public:
  explicit ResourceOperations(ObjectStore& store) : store_(store) {}

  // The namespaces a fresh server starts with.
  void create_builtin_namespaces();

  nlohmann::json get(const ResourceType& type, const std::string& ns,
                     const std::string& name) const;
  nlohmann::json list(const ResourceType& type, const std::string& ns, const Selector& labels,
                      const Selector& fields) const;
  nlohmann::json create(const ResourceType& type, const std::string& ns, nlohmann::json body,
                        WriteMode mode = WriteMode::commit);
  nlohmann::json update(const ResourceType& type, const std::string& ns, const std::string& name,
                        nlohmann::json body, bool status_subresource,
                        WriteMode mode = WriteMode::commit);
  // content_type picks the patch flavour; strategic merge patch is applied as a merge patch.
  nlohmann::json patch(const ResourceType& type, const std::string& ns, const std::string& name,
                       const std::string& content_type, const std::string& body,
                       bool status_subresource, WriteMode mode = WriteMode::commit);
  nlohmann::json remove(const ResourceType& type, const std::string& ns, const std::string& name,
                        const nlohmann::json& options, WriteMode mode = WriteMode::commit);

 private:
  const nlohmann::json& existing(const ResourceType& type, const std::string& ns,
                                 const std::string& name) const;
  // The store's writes, or on a dry run what the real server answers instead: the object as
  // it would be stored, keeping the resourceVersion it has now (a new object has none).
  nlohmann::json insert(const ResourceType& type, nlohmann::json obj, WriteMode mode);
  nlohmann::json replace(const ResourceType& type, nlohmann::json obj, WriteMode mode);
  nlohmann::json erase(const ResourceType& type, const std::string& ns, const std::string& name,
                       WriteMode mode);
  ObjectStore& store_;
};

std::string now_rfc3339();

}  // namespace nfsprov::testing::apiserver
