#include "provisioner/kube/informer.h"

#include <algorithm>
#include <condition_variable>
#include <set>

#include "provisioner/base/json_fields.h"
#include "provisioner/base/sleep.h"
#include "provisioner/kube/relist_diff.h"

namespace nfsprov::kube {
namespace {

using namespace std::chrono_literals;

std::string resource_version(const nlohmann::json& obj) {
  return base::metadata_field(obj, "resourceVersion");
}

// An object as the cache keeps it, before any transform: a list's items carry no kind and
// apiVersion, a watch event's object does. Without them an object is the same record however
// it came, so a relist can tell a changed record from an unchanged one by comparing them.
nlohmann::json without_type(nlohmann::json object) {
  if (object.is_object()) {
    object.erase("kind");
    object.erase("apiVersion");
  }
  return object;
}

}  // namespace

std::string Informer::store(nlohmann::json object) const {
  object = without_type(std::move(object));
  return transform_.store ? transform_.store(std::move(object)) : object.dump();
}

nlohmann::json Informer::load(std::string_view record) const {
  return transform_.load ? transform_.load(record) : nlohmann::json::parse(record);
}

std::string object_key(const nlohmann::json& obj) {
  const auto& metadata = obj.at("metadata");
  std::string ns = metadata.value("namespace", "");
  std::string name = metadata.value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

Informer::Informer(ApiClient& client, Resource resource, std::string ns, ListOptions options)
    : client_(client), resource_(resource), ns_(std::move(ns)), options_(std::move(options)) {}

void Informer::set_handlers(InformerHandlers handlers) {
  handlers_ = std::move(handlers);
}

void Informer::set_transform(InformerTransform transform) {
  transform_ = std::move(transform);
}

void Informer::request_relist() {
  relist_requested_.store(true);
  std::lock_guard lock(watch_mutex_);
  watch_stop_.request_stop();
}

RecordStore Informer::list_all(std::string& version) {
  RecordStore records;
  ListOptions page = options_;
  page.limit = kListPageSize;
  page.resource_version.clear();
  // Every list asks for the most recent state, in pages (kube-apiserver serves these from its
  // watch cache once it has checked that the cache is current, ConsistentListFromCache, and
  // pages it from cache snapshots). Not resourceVersion 0: that one the server answers in one
  // piece, whatever the limit, and 50,000 claims parsed at once leave a heap the records are
  // scattered over (measured: 6.3 KiB of RSS per compact record). Not "not older than ours"
  // either: after a silent watch our version may be ahead of the server's (an etcd restore).
  for (;;) {
    const nlohmann::json answer =
        client_.list_items(resource_, ns_, page, [&](nlohmann::json&& item) {
          const std::string key = object_key(item);
          records.put(key, store(std::move(item)));
        });
    {
      std::lock_guard lock(mutex_);
      ++stats_.list_pages;
    }
    progressed();
    const nlohmann::json& meta = base::field(answer, "metadata");
    const std::string next = base::string_field(meta, "continue");
    if (next.empty()) {
      version = base::string_field(meta, "resourceVersion");
      return records;
    }
    // The next page, at the first page's resourceVersion (the token carries it).
    page.continue_token = next;
    page.resource_version.clear();
  }
}

bool Informer::synced() const {
  return synced_.load();
}

std::optional<nlohmann::json> Informer::get(const std::string& key) const {
  std::lock_guard lock(mutex_);
  const auto record = cache_.find(key);
  if (!record) return std::nullopt;
  return load(*record);
}

std::vector<nlohmann::json> Informer::list() const {
  std::lock_guard lock(mutex_);
  std::vector<nlohmann::json> out;
  out.reserve(cache_.size());
  cache_.for_each([&](std::string_view, std::string_view record) { out.push_back(load(record)); });
  return out;
}

void Informer::visit(
    const std::function<void(std::string_view key, std::string_view record)>& fn) const {
  std::lock_guard lock(mutex_);
  cache_.for_each(fn);
}

InformerStats Informer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Informer::run(std::stop_token stop) {
  bool need_list = true;
  // After a failure inside the handlers, the cache may hold what a handler never saw: the
  // next relist then tells them about every object, not only the difference.
  bool tell_everything = false;
  auto backoff = 200ms;
  while (!stop.stop_requested()) {
    progressed();
    const char* operation = need_list ? "list" : "watch";
    try {
      if (need_list) {
        // Cleared before the list: a relist asked for while it runs is done again after it.
        relist_requested_.store(false);
        std::string version;
        auto fresh = list_all(version);
        RelistDiff diff;
        {
          // The old cache moves into the difference, the new one takes its place: at no
          // moment are the objects held twice.
          std::lock_guard lock(mutex_);
          diff = diff_relist(std::move(cache_), std::move(fresh));
          cache_ = std::move(diff.cache);
          last_resource_version_ = version;
          if (synced_.load()) ++stats_.relists;
        }
        // The cache is updated first so a handler that looks at it sees the new state. Only
        // this thread writes the cache, so it reads it here without the lock.
        std::set<std::string, std::less<>> told;
        for (const auto& key : diff.added) {
          if (tell_everything) told.insert(key);
          if (handlers_.on_add) handlers_.on_add(load(*cache_.find(key)));
        }
        for (const auto& [old_record, key] : diff.updated) {
          if (tell_everything) told.insert(key);
          if (handlers_.on_update) handlers_.on_update(load(old_record), load(*cache_.find(key)));
        }
        diff.updated.clear();
        for (const auto& record : diff.deleted)
          if (handlers_.on_delete) handlers_.on_delete(load(record));
        diff.deleted.clear();
        if (tell_everything && handlers_.on_update) {
          cache_.for_each([&](std::string_view key, std::string_view record) {
            if (told.contains(key)) return;
            const auto obj = load(record);
            handlers_.on_update(obj, obj);
          });
        }
        tell_everything = false;
        synced_.store(true);
        failing_.store(false);
        progressed();
        need_list = false;
        backoff = 200ms;
        operation = "watch";
      }

      WatchOptions watch_options;
      watch_options.label_selector = options_.label_selector;
      watch_options.field_selector = options_.field_selector;
      {
        std::lock_guard lock(mutex_);
        watch_options.resource_version = last_resource_version_;
      }
      std::uint64_t events = 0;
      // The watch ends when the informer stops or a relist is asked for (request_relist()
      // stops the latest source).
      std::stop_source watch_stop;
      {
        std::lock_guard lock(watch_mutex_);
        watch_stop_ = watch_stop;
      }
      const std::stop_callback forward(stop, [watch_stop]() mutable { watch_stop.request_stop(); });
      if (relist_requested_.load()) watch_stop.request_stop();
      client_.watch(
          resource_, ns_, watch_options,
          [&](const nlohmann::json& event) {
            ++events;
            failing_.store(false);
            progressed();
            apply_event(event);
            return !relist_requested_.load();
          },
          watch_stop.get_token());
      if (stop.stop_requested()) break;
      if (relist_requested_.load()) {
        need_list = true;
        continue;
      }
      {
        std::lock_guard lock(mutex_);
        ++stats_.watch_restarts;
      }
      if (events > 0) {
        backoff = 200ms;
      } else {
        // Nothing at all, not even a bookmark (sent about every minute): either the stream
        // was cut at once, or our resourceVersion is ahead of the server's and the watch
        // would wait in silence forever. A relist settles both; do not spin on it.
        need_list = true;
        base::sleep_for(stop, backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, 30s);
      }
    } catch (const ApiError& e) {
      if (stop.stop_requested()) break;
      if (e.kind() == ApiErrorKind::gone) {
        need_list = true;  // our resourceVersion is too old: relist and deliver the difference
        continue;
      }
      failed(operation, e.what());
      base::sleep_for(stop, backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 30s);
    } catch (const std::exception& e) {
      // A malformed answer or a handler's bug: an exception escaping this thread would end
      // the whole process. Start over from a list.
      if (stop.stop_requested()) break;
      failed(operation, e.what());
      need_list = true;
      tell_everything = true;
      base::sleep_for(stop, backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 30s);
    }
  }
}

void Informer::failed(std::string_view operation, const std::string& error) {
  failing_.store(true);
  {
    std::lock_guard lock(mutex_);
    ++(operation == "list" ? stats_.list_failures : stats_.watch_failures);
  }
  if (handlers_.on_error) {
    try {
      handlers_.on_error(operation, error);
    } catch (const std::exception&) {
      // Reporting must not be what stops the informer.
    }
  }
}

void Informer::apply_event(const nlohmann::json& event) {
  const std::string type = event.value("type", "");
  const nlohmann::json& obj = event.contains("object") ? event["object"] : event;
  const std::string rv = resource_version(obj);
  if (type == "BOOKMARK") {
    std::lock_guard lock(mutex_);
    if (!rv.empty()) last_resource_version_ = rv;
    return;
  }
  const std::string key = object_key(obj);
  std::optional<nlohmann::json> old_obj;
  // Made outside the lock: a transform may look at other caches.
  std::optional<std::string> record;
  if (type != "DELETED") record = store(obj);
  {
    std::lock_guard lock(mutex_);
    if (!rv.empty()) last_resource_version_ = rv;
    if (const auto old_record = cache_.find(key)) old_obj = load(*old_record);
    if (type == "DELETED") {
      if (!old_obj) return;  // never seen, or already gone: nothing to tell
      cache_.take(key);
    } else {
      if (old_obj && resource_version(*old_obj) == rv) return;  // already delivered
      cache_.put(key, *record);
    }
  }
  if (type == "DELETED") {
    if (handlers_.on_delete) handlers_.on_delete(obj);
  } else if (old_obj) {
    if (handlers_.on_update) handlers_.on_update(*old_obj, obj);
  } else if (handlers_.on_add) {
    handlers_.on_add(obj);
  }
}

}  // namespace nfsprov::kube
