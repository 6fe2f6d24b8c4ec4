#include "test/fakes/fake_kube_api.h"

#include <algorithm>
#include <utility>

#include "provisioner/kube/api_error.h"

namespace nfsprov::fakes {

namespace {

using kube::ApiError;
using kube::ApiErrorKind;

ApiError not_found(const std::string& what) {
  return ApiError(ApiErrorKind::not_found, 404, "NotFound", what + " not found");
}

ApiError conflict(const std::string& what) {
  return ApiError(ApiErrorKind::conflict, 409, "Conflict",
                  "Operation cannot be fulfilled on " + what);
}

std::string meta_string(const nlohmann::json& object, const char* field) {
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  const auto value = meta->find(field);
  return value != meta->end() && value->is_string() ? value->get<std::string>() : std::string();
}

bool has_finalizers(const nlohmann::json& object) {
  const auto& meta = object["metadata"];
  const auto finalizers = meta.find("finalizers");
  return finalizers != meta.end() && finalizers->is_array() && !finalizers->empty();
}

bool being_deleted(const nlohmann::json& object) {
  return object["metadata"].contains("deletionTimestamp");
}

}  // namespace

FakeKubeApi::Key FakeKubeApi::key(const kube::Resource& r, std::string_view ns,
                                  std::string_view name) {
  return std::string(r.plural) + "/" + (r.namespaced ? std::string(ns) : std::string()) + "/" +
         std::string(name);
}

void FakeKubeApi::begin(const Call& call) {
  Fault fault;
  {
    std::lock_guard lock(mutex_);
    calls_.push_back(call);
    fault = fault_;
  }
  changed_.notify_all();
  if (fault) fault(call);
}

nlohmann::json FakeKubeApi::store(const Key& key, nlohmann::json object) {
  object["metadata"]["resourceVersion"] = std::to_string(next_version_++);
  objects_[key] = object;
  return object;
}

nlohmann::json FakeKubeApi::get(const kube::Resource& r, std::string_view ns,
                                std::string_view name) {
  begin({"get", std::string(r.plural), std::string(ns), std::string(name), nullptr});
  std::lock_guard lock(mutex_);
  const auto found = objects_.find(key(r, ns, name));
  if (found == objects_.end()) throw not_found(key(r, ns, name));
  return found->second;
}

nlohmann::json FakeKubeApi::create(const kube::Resource& r, std::string_view ns,
                                   const nlohmann::json& object) {
  const std::string name = meta_string(object, "name");
  begin({"create", std::string(r.plural), std::string(ns), name, object});
  std::lock_guard lock(mutex_);
  const Key k = key(r, ns, name);
  if (objects_.contains(k))
    throw ApiError(ApiErrorKind::already_exists, 409, "AlreadyExists", k + " already exists");
  nlohmann::json stored = object;
  if (r.namespaced) stored["metadata"]["namespace"] = std::string(ns);
  stored["metadata"]["uid"] = "uid-" + std::to_string(next_uid_++);
  return store(k, std::move(stored));
}

nlohmann::json FakeKubeApi::update(const kube::Resource& r, const nlohmann::json& object) {
  const std::string ns = meta_string(object, "namespace");
  const std::string name = meta_string(object, "name");
  begin({"update", std::string(r.plural), ns, name, object});
  std::lock_guard lock(mutex_);
  const Key k = key(r, ns, name);
  const auto found = objects_.find(k);
  if (found == objects_.end()) throw not_found(k);
  const std::string version = meta_string(object, "resourceVersion");
  if (!version.empty() && version != meta_string(found->second, "resourceVersion"))
    throw conflict(k + ": the object has been modified");
  nlohmann::json stored = object;
  stored["metadata"]["uid"] = found->second["metadata"]["uid"];
  if (being_deleted(found->second))
    stored["metadata"]["deletionTimestamp"] = found->second["metadata"]["deletionTimestamp"];
  if (being_deleted(stored) && !has_finalizers(stored)) {
    objects_.erase(found);
    return stored;
  }
  return store(k, std::move(stored));
}

nlohmann::json FakeKubeApi::merge_patch(const kube::Resource& r, std::string_view ns,
                                        std::string_view name, const nlohmann::json& patch) {
  begin({"patch", std::string(r.plural), std::string(ns), std::string(name), patch});
  return apply_patch(key(r, ns, name), patch, patch);
}

nlohmann::json FakeKubeApi::merge_patch_status(const kube::Resource& r, std::string_view ns,
                                               std::string_view name, const nlohmann::json& patch) {
  begin({"patch-status", std::string(r.plural), std::string(ns), std::string(name), patch});
  // The status subresource changes the status only, whatever else the patch says.
  const auto status = patch.find("status");
  return apply_patch(key(r, ns, name), patch,
                     {{"status", status == patch.end() ? nlohmann::json::object() : *status}});
}

nlohmann::json FakeKubeApi::apply_patch(const Key& key, const nlohmann::json& patch,
                                        const nlohmann::json& applied) {
  std::lock_guard lock(mutex_);
  const auto found = objects_.find(key);
  if (found == objects_.end()) throw not_found(key);
  // A merge patch that carries metadata.resourceVersion is conditional on it, as an update is.
  const std::string version = meta_string(patch, "resourceVersion");
  if (!version.empty() && version != meta_string(found->second, "resourceVersion"))
    throw conflict(key + ": the object has been modified");
  nlohmann::json patched = found->second;
  patched.merge_patch(applied);
  return store(key, std::move(patched));
}

void FakeKubeApi::remove(const kube::Resource& r, std::string_view ns, std::string_view name,
                         std::optional<std::string> uid_precondition) {
  begin({"delete", std::string(r.plural), std::string(ns), std::string(name), nullptr});
  std::lock_guard lock(mutex_);
  const Key k = key(r, ns, name);
  const auto found = objects_.find(k);
  if (found == objects_.end()) throw not_found(k);
  if (uid_precondition && *uid_precondition != meta_string(found->second, "uid"))
    throw conflict(k + ": Precondition failed: UID in precondition: " + *uid_precondition);
  if (!has_finalizers(found->second)) {
    objects_.erase(found);
    return;
  }
  if (!being_deleted(found->second)) {
    nlohmann::json marked = found->second;
    marked["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
    store(k, std::move(marked));
  }
}

nlohmann::json FakeKubeApi::put(const kube::Resource& r, nlohmann::json object) {
  std::lock_guard lock(mutex_);
  const Key k = key(r, meta_string(object, "namespace"), meta_string(object, "name"));
  if (meta_string(object, "uid").empty())
    object["metadata"]["uid"] = "uid-" + std::to_string(next_uid_++);
  return store(k, std::move(object));
}

std::optional<nlohmann::json> FakeKubeApi::find(const kube::Resource& r, std::string_view ns,
                                                std::string_view name) const {
  std::lock_guard lock(mutex_);
  const auto found = objects_.find(key(r, ns, name));
  if (found == objects_.end()) return std::nullopt;
  return found->second;
}

std::vector<nlohmann::json> FakeKubeApi::objects(const kube::Resource& r) const {
  std::lock_guard lock(mutex_);
  std::vector<nlohmann::json> found;
  const std::string prefix = std::string(r.plural) + "/";
  for (const auto& [k, object] : objects_)
    if (k.starts_with(prefix)) found.push_back(object);
  return found;
}

std::vector<FakeKubeApi::Call> FakeKubeApi::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::size_t FakeKubeApi::count(std::string_view verb, const kube::Resource& r) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(calls_.begin(), calls_.end(), [&](const Call& c) {
    return c.verb == verb && c.resource == r.plural;
  }));
}

void FakeKubeApi::set_fault(Fault fault) {
  std::lock_guard lock(mutex_);
  fault_ = std::move(fault);
}

bool FakeKubeApi::wait_for_calls(
    const std::function<bool(const std::vector<Call>& calls)>& condition,
    std::chrono::milliseconds limit) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, limit, [&] { return condition(calls_); });
}

}  // namespace nfsprov::fakes
