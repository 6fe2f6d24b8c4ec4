#include "provisioner/controller/event_recorder.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "provisioner/base/json_fields.h"
#include "provisioner/base/text.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::controller {

namespace {

// Bounds the dedup memory: after this many distinct events it starts afresh (a repeat then
// creates a new event, which is still correct).
constexpr std::size_t kMaxRemembered = 4096;

std::string rfc3339_now() {
  return base::utc_timestamp(std::chrono::system_clock::now());
}

// FNV-1a of the event's identity. Not a security matter: an Event's name must only be the
// same for the same repeat, across restarts and leader changes (so a repeat bumps the count of
// the Event already there instead of adding one), and differ otherwise.
std::uint64_t identity_hash(std::string_view identity) {
  std::uint64_t v = 14695981039346656037ULL;
  for (const char c : identity) {
    v ^= static_cast<unsigned char>(c);
    v *= 1099511628211ULL;
  }
  return v;
}

// The hash as 16 hex digits, lowest first.
std::string identity_suffix(std::uint64_t v) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i, v >>= 4) out.push_back(hex[v & 0xF]);
  return out;
}

std::string event_namespace(const InvolvedObject& object) {
  return object.namespace_.empty() ? "default" : object.namespace_;
}

std::string identity(const InvolvedObject& o, EventType type, std::string_view reason,
                     std::string_view message) {
  std::string id = o.kind + '\0' + o.namespace_ + '\0' + o.name + '\0' + o.uid + '\0';
  id += type == EventType::normal ? 'N' : 'W';
  id.append(reason).push_back('\0');
  id.append(message);
  return id;
}

}  // namespace

InvolvedObject InvolvedObject::of(std::string_view kind, const nlohmann::json& object) {
  InvolvedObject o;
  o.kind = kind;
  o.namespace_ = base::metadata_field(object, "namespace");
  o.name = base::metadata_field(object, "name");
  o.uid = base::metadata_field(object, "uid");
  o.resource_version = base::metadata_field(object, "resourceVersion");
  return o;
}

nlohmann::json make_event(const InvolvedObject& object, EventType type, std::string_view reason,
                          std::string_view message, std::string_view component) {
  const std::string now = rfc3339_now();
  nlohmann::json involved = {{"kind", object.kind},
                             {"apiVersion", object.api_version},
                             {"name", object.name},
                             {"uid", object.uid}};
  if (!object.namespace_.empty()) involved["namespace"] = object.namespace_;
  if (!object.resource_version.empty()) involved["resourceVersion"] = object.resource_version;
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata",
           {{"name", object.name + "." +
                         identity_suffix(identity_hash(identity(object, type, reason, message)))},
            {"namespace", event_namespace(object)}}},
          {"involvedObject", involved},
          {"reason", reason},
          {"message", message},
          {"type", type == EventType::normal ? "Normal" : "Warning"},
          {"source", {{"component", component}}},
          {"reportingComponent", component},
          {"reportingInstance", component},
          {"firstTimestamp", now},
          {"lastTimestamp", now},
          {"count", 1}};
}

EventRecorder::EventRecorder(kube::KubeApi& client, std::string component, log::Logger& logger,
                             std::size_t max_pending)
    : client_(client),
      component_(std::move(component)),
      logger_(logger),
      max_pending_(max_pending),
      thread_([this](std::stop_token stop) { post_loop(stop); }) {}

EventRecorder::~EventRecorder() {
  thread_.request_stop();
  changed_.notify_all();
}

void EventRecorder::record(const InvolvedObject& object, EventType type, std::string_view reason,
                           std::string_view message) {
  enqueue(Pending{object, type, std::string(reason), std::string(message), false});
}

void EventRecorder::record_once(const InvolvedObject& object, EventType type,
                                std::string_view reason, std::string_view message) {
  enqueue(Pending{object, type, std::string(reason), std::string(message), true});
}

void EventRecorder::enqueue(Pending event) {
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= max_pending_) {
      // Events are advice for humans; a flood must not grow memory without bound.
      ++dropped_;
      return;
    }
    pending_.push_back(std::move(event));
  }
  changed_.notify_all();
}

void EventRecorder::flush() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return (pending_.empty() && !posting_) || !thread_.joinable(); });
}

void EventRecorder::post_loop(std::stop_token stop) {
  // At shutdown what is pending is still posted, for as long as kShutdownFlush allows: the
  // last ProvisioningSucceeded of a pod's life belongs on its claim too.
  std::optional<std::chrono::steady_clock::time_point> flush_until;
  while (true) {
    Pending next;
    {
      std::unique_lock lock(mutex_);
      posting_ = false;
      changed_.notify_all();
      if (!flush_until) changed_.wait(lock, stop, [this] { return !pending_.empty(); });
      if (stop.stop_requested() && !flush_until)
        flush_until = std::chrono::steady_clock::now() + kShutdownFlush;
      if (flush_until && (pending_.empty() || std::chrono::steady_clock::now() >= *flush_until)) {
        if (!pending_.empty() || dropped_ > 0)
          logger_.info("events not posted at shutdown",
                       {{"pending", pending_.size()}, {"dropped", dropped_}});
        pending_.clear();
        changed_.notify_all();
        return;
      }
      if (dropped_ > 0) {
        logger_.warn("events dropped: too many pending", {{"dropped", dropped_}});
        dropped_ = 0;
      }
      next = std::move(pending_.front());
      pending_.pop_front();
      posting_ = true;
    }
    post(next);
  }
}

void EventRecorder::post(const Pending& event) {
  // An Event's name and namespace follow from what it says (make_event): only its hash and
  // count are remembered, 4096 of them in well under a megabyte.
  const std::uint64_t id =
      identity_hash(identity(event.object, event.type, event.reason, event.message));
  const std::string ns = event_namespace(event.object);
  const std::string name = event.object.name + "." + identity_suffix(id);
  const auto by_hash = [](const auto& entry, std::uint64_t hash) { return entry.first < hash; };
  try {
    if (auto seen = std::lower_bound(posted_.begin(), posted_.end(), id, by_hash);
        seen != posted_.end() && seen->first == id) {
      if (event.once) return;
      const nlohmann::json patch = {{"count", seen->second + 1}, {"lastTimestamp", rfc3339_now()}};
      try {
        client_.merge_patch(kube::kEvents, ns, name, patch);
        ++seen->second;
        return;
      } catch (const kube::ApiError& e) {
        if (e.kind() != kube::ApiErrorKind::not_found) throw;
        posted_.erase(seen);  // expired (events have a TTL): create a fresh one
      }
    }
    int count = 1;
    try {
      client_.create(kube::kEvents, ns,
                     make_event(event.object, event.type, event.reason, event.message, component_));
    } catch (const kube::ApiError& e) {
      if (e.kind() != kube::ApiErrorKind::already_exists) throw;
      if (event.once) return;  // its count is not ours to know without a write: not kept
      // Recorded before this process knew it (a restart, a leader change, a memory reset):
      // the same Event counts one more, as an in-memory repeat would. The first PATCH (of
      // the time) answers with the Event and so its count: events may be patched, not read.
      const auto existing =
          client_.merge_patch(kube::kEvents, ns, name, {{"lastTimestamp", rfc3339_now()}});
      count = existing.value("count", 1) + 1;
      client_.merge_patch(kube::kEvents, ns, name, {{"count", count}});
    }
    if (posted_.size() >= kMaxRemembered) posted_.clear();
    posted_.emplace(std::lower_bound(posted_.begin(), posted_.end(), id, by_hash), id, count);
  } catch (const std::exception& e) {
    logger_.warn("cannot record event",
                 {{"object", event.object.namespace_ + "/" + event.object.name},
                  {"reason", event.reason},
                  {"error", e.what()}});
  }
}

}  // namespace nfsprov::controller
