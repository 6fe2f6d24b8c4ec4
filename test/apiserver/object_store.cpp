#include "test/apiserver/object_store.h"

#include <algorithm>

namespace nfsprov::testing::apiserver {

using nlohmann::json;

namespace {
std::string key_of(const std::string& ns, const std::string& name) {
  return ns + "/" + name;
}
std::string ns_of(const json& obj) {
  return obj["metadata"].value("namespace", "");
}
std::string name_of(const json& obj) {
  return obj["metadata"].value("name", "");
}
}  // namespace

ObjectStore::ObjectStore(std::size_t history_limit) : history_limit_(history_limit) {}

const json* ObjectStore::find(const ResourceType& type, const std::string& ns,
                              const std::string& name) const {
  auto t = objects_.find(type.plural);
  if (t == objects_.end()) return nullptr;
  auto o = t->second.find(key_of(type.namespaced ? ns : "", name));
  return o == t->second.end() ? nullptr : o->second.get();
}

std::vector<const json*> ObjectStore::list(const ResourceType& type, const std::string& ns) const {
  std::vector<const json*> out;
  auto t = objects_.find(type.plural);
  if (t == objects_.end()) return out;
  if (ns.empty() || !type.namespaced) {
    for (const auto& [k, v] : t->second) out.push_back(v.get());
    return out;
  }
  // Keys sort by namespace first, so one namespace is a contiguous range.
  std::string prefix = ns + "/";
  for (auto it = t->second.lower_bound(prefix);
       it != t->second.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.push_back(it->second.get());
  }
  return out;
}

const json& ObjectStore::insert(const ResourceType& type, json obj) {
  obj["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
  auto stored = std::make_shared<const json>(std::move(obj));
  objects_[type.plural][key_of(ns_of(*stored), name_of(*stored))] = stored;
  record("ADDED", type, stored, nullptr);
  return *stored;
}

const json& ObjectStore::replace(const ResourceType& type, json obj) {
  obj["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
  auto stored = std::make_shared<const json>(std::move(obj));
  auto& slot = objects_[type.plural][key_of(ns_of(*stored), name_of(*stored))];
  auto previous = slot;
  slot = stored;
  record("MODIFIED", type, stored, previous);
  return *stored;
}

json ObjectStore::erase(const ResourceType& type, const std::string& ns, const std::string& name) {
  auto& bucket = objects_[type.plural];
  auto it = bucket.find(key_of(type.namespaced ? ns : "", name));
  if (it == bucket.end()) return nullptr;
  auto previous = it->second;
  bucket.erase(it);
  // The real server reports a deletion with a fresh resourceVersion on the final object.
  json last = *previous;
  last["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
  auto stored = std::make_shared<const json>(last);
  record("DELETED", type, stored, previous);
  return last;
}

void ObjectStore::record(const std::string& type, const ResourceType& resource,
                         std::shared_ptr<const json> object, std::shared_ptr<const json> previous) {
  history_.push_back({type, &resource, object, previous, resource_version_});
  while (history_.size() > history_limit_) {
    oldest_servable_ = history_.front().resource_version;
    history_.pop_front();
  }
  changes_.push_back({&resource, ns_of(*object), name_of(*object)});
  dirty_ = true;
  changed_.notify_all();
}

std::vector<WatchEvent> ObjectStore::events_after(std::uint64_t rv) const {
  auto it =
      std::upper_bound(history_.begin(), history_.end(), rv,
                       [](std::uint64_t v, const WatchEvent& e) { return v < e.resource_version; });
  return {it, history_.end()};
}

std::vector<ObjectKey> ObjectStore::take_changes() {
  std::vector<ObjectKey> out;
  out.swap(changes_);
  return out;
}

json ObjectStore::snapshot() {
  json objects = json::object();
  for (const auto& [plural, bucket] : objects_) {
    json items = json::array();
    for (const auto& [k, v] : bucket) items.push_back(*v);
    objects[plural] = std::move(items);
  }
  dirty_ = false;
  return {{"resourceVersion", resource_version_}, {"objects", objects}};
}

void ObjectStore::restore(const json& state) {
  resource_version_ = state.value("resourceVersion", std::uint64_t{1});
  oldest_servable_ = resource_version_;
  objects_.clear();
  history_.clear();
  const json objects = state.value("objects", json::object());
  for (const auto& [plural, items] : objects.items()) {
    for (const auto& item : items) {
      objects_[plural][key_of(ns_of(item), name_of(item))] = std::make_shared<const json>(item);
    }
  }
}

}  // namespace nfsprov::testing::apiserver
