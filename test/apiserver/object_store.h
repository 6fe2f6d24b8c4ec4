// Every object the server holds, the one global resourceVersion counter and the bounded
// history of changes that watches replay. One mutex guards it all; callers take lock() and
// keep it across a whole request so a write and the controller reactions to it are atomic.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/apiserver/resource_table.h"

namespace nfsprov::testing::apiserver {

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  const ResourceType* resource;
  std::shared_ptr<const nlohmann::json> object;
  std::shared_ptr<const nlohmann::json> previous;  // null for ADDED
  std::uint64_t resource_version;
};

struct ObjectKey {
  const ResourceType* resource;
  std::string ns;
  std::string name;
};

class ObjectStore {
 public:
  explicit ObjectStore(std::size_t history_limit);

  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }

  // Everything below expects the caller to hold lock().
  std::uint64_t resource_version() const { return resource_version_; }
  const nlohmann::json* find(const ResourceType& type, const std::string& ns,
                             const std::string& name) const;
  // ns empty: across all namespaces (or a cluster-scoped kind).
  std::vector<const nlohmann::json*> list(const ResourceType& type, const std::string& ns) const;

  // Stamp a new resourceVersion on obj, store it and record the change.
  const nlohmann::json& insert(const ResourceType& type, nlohmann::json obj);
  const nlohmann::json& replace(const ResourceType& type, nlohmann::json obj);
  nlohmann::json erase(const ResourceType& type, const std::string& ns, const std::string& name);

  // Watch support. A watch from rv can be served when no change after rv was dropped.
  bool too_old(std::uint64_t rv) const { return rv < oldest_servable_; }
  std::vector<WatchEvent> events_after(std::uint64_t rv) const;
  template <class Clock, class Duration>
  void wait_until(std::unique_lock<std::mutex>& held,
                  const std::chrono::time_point<Clock, Duration>& deadline) {
    changed_.wait_until(held, deadline);
  }
  void wake_watchers() { changed_.notify_all(); }

  // Objects written since the last call, for the controllers to react to.
  std::vector<ObjectKey> take_changes();

  // Persistence: every object plus the counter (not the history, as after a real restart).
  bool dirty() const { return dirty_; }
  nlohmann::json snapshot();
  void restore(const nlohmann::json& state);

 private:
  void record(const std::string& type, const ResourceType& resource,
              std::shared_ptr<const nlohmann::json> object,
              std::shared_ptr<const nlohmann::json> previous);

  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t history_limit_;
  std::uint64_t resource_version_ = 1;
  std::uint64_t oldest_servable_ = 1;
  // plural -> "namespace/name" -> object
  std::map<std::string, std::map<std::string, std::shared_ptr<const nlohmann::json>>> objects_;
  std::deque<WatchEvent> history_;
  std::vector<ObjectKey> changes_;
  bool dirty_ = false;
};

}  // namespace nfsprov::testing::apiserver
