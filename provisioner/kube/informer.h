// Informer: list, then watch from the list's resourceVersion, keeping a thread-safe cache
// keyed by "namespace/name" (or "name") and telling handlers about adds, updates and deletes.
// Resumes a dropped watch from the last resourceVersion seen; on 410, or after a watch that
// ended with nothing in it (not even a bookmark: the server's resourceVersion went back, as
// after an etcd restore, and a watch from ours then waits in silence), it relists and
// delivers exactly the difference. Watching is kept apart from working: handlers only
// enqueue keys. No failure, of any kind, ends run() before stop is requested.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "provisioner/kube/api_client.h"
#include "provisioner/kube/record_store.h"

namespace nfsprov::kube {

struct InformerHandlers {
  std::function<void(const nlohmann::json& obj)> on_add;
  std::function<void(const nlohmann::json& old_obj, const nlohmann::json& new_obj)> on_update;
  std::function<void(const nlohmann::json& last_known)> on_delete;
  // A list or watch that failed ("list" or "watch", and why); the informer backs off and
  // tries again. client-go logs each of these; without it a 403 storm is silent.
  std::function<void(std::string_view operation, const std::string& error)> on_error;
};

// What the cache keeps of each object, as client-go's transform functions do: store makes the
// record kept for a listed or watched object (any bytes: a compact record, a packed object);
// load gives the object back from a record, for get(), list() and the handlers. Set both or
// neither: without them an object is kept as its JSON text.
struct InformerTransform {
  std::function<std::string(nlohmann::json)> store;
  std::function<nlohmann::json(std::string_view record)> load;
};

struct InformerStats {
  std::uint64_t watch_restarts = 0;
  std::uint64_t relists = 0;
  std::uint64_t list_failures = 0;
  std::uint64_t watch_failures = 0;
  std::uint64_t list_pages = 0;  // pages of every list so far (kListPageSize items each)
};

// Items per page of a list (client-go's pager uses 500): a relist of 50,000 claims is 100
// answers of bounded size, each made into records before the next is asked for.
inline constexpr int kListPageSize = 500;

// "namespace/name" for namespaced objects, "name" otherwise.
std::string object_key(const nlohmann::json& obj);

class Informer {
 public:
  Informer(ApiClient& client, Resource resource, std::string ns = {}, ListOptions options = {});

  // Handlers and the transform must be set before run().
  void set_handlers(InformerHandlers handlers);
  void set_transform(InformerTransform transform);
  // Lists again, soon, and tells the handlers what differs (a transform's verdict on some
  // objects changed: a compact record must become a full one). Any thread.
  void request_relist();
  // Runs until stop is requested: list, watch, resume, relist, back off on failures.
  void run(std::stop_token stop);

  bool synced() const;
  // The last list or watch failed and none has succeeded since (readiness: the API is
  // unreachable, or refuses us).
  bool failing() const { return failing_.load(); }
  std::optional<nlohmann::json> get(const std::string& key) const;
  std::vector<nlohmann::json> list() const;
  // Every record as the cache stores it (see InformerTransform), under the cache's lock and
  // without a copy: what a pass over 50,000 objects that needs a field or two of each uses.
  // fn must not call back into this informer.
  void visit(const std::function<void(std::string_view key, std::string_view record)>& fn) const;
  InformerStats stats() const;
  std::string resource_name() const { return std::string(resource_.plural); }
  // When the loop last made progress: began a list or a watch, finished a list, or delivered
  // an event (bookmarks too). Liveness: a watch ends within its timeout (300 s) plus the read
  // timeout, so a long silence means a wedged thread (a handler stuck, a read that hangs).
  std::chrono::steady_clock::time_point last_progress() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_progress_.load(std::memory_order_relaxed)));
  }

 private:
  // One watch event into the cache, then to the handlers (outside the lock).
  void apply_event(const nlohmann::json& event);
  // Every page of a list, made into records as it comes; its resourceVersion into version.
  RecordStore list_all(std::string& version);
  // The record kept for an object from a list or a watch (the transform's).
  std::string store(nlohmann::json object) const;
  nlohmann::json load(std::string_view record) const;
  void failed(std::string_view operation, const std::string& error);
  void progressed() {
    last_progress_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                         std::memory_order_relaxed);
  }

  ApiClient& client_;
  Resource resource_;
  std::string ns_;
  ListOptions options_;
  InformerHandlers handlers_;
  InformerTransform transform_;
  std::atomic<bool> relist_requested_{false};
  // Stops the latest watch, for a relist asked for while it streams.
  std::mutex watch_mutex_;
  std::stop_source watch_stop_;
  mutable std::mutex mutex_;
  RecordStore cache_;
  std::string last_resource_version_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> failing_{false};
  std::atomic<std::chrono::steady_clock::rep> last_progress_{
      std::chrono::steady_clock::now().time_since_epoch().count()};
  InformerStats stats_;
};

}  // namespace nfsprov::kube
