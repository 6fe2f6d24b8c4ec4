// EventRecorder: core/v1 Events about claims and volumes, as kubectl describe shows them.
// Recording never blocks a worker on the API and never throws: events are posted by a
// thread of their own, and a failure to post is logged, nothing more. An identical repeat
// (same object, type, reason and message) bumps the first event's count instead of
// creating another, as client-go's correlator does, and unlike it also after a restart or a
// leader change: the Event's name is derived from what it says, so a repeat finds it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "provisioner/kube/kube_api.h"
#include "provisioner/log/log.h"

namespace nfsprov::controller {

enum class EventType { normal, warning };

// The object an event is about. Objects from a list carry no kind/apiVersion, so they are
// given explicitly.
struct InvolvedObject {
  std::string kind;  // "PersistentVolumeClaim", "PersistentVolume"
  std::string api_version = "v1";
  std::string namespace_;  // "" for cluster-scoped objects: their events go to "default"
  std::string name;
  std::string uid;
  std::string resource_version;

  static InvolvedObject of(std::string_view kind, const nlohmann::json& object);
};

// The Event object itself, pure (for tests): name "<object>.<hash of object uid, type, reason
// and message>" (the same repeat has the same name across restarts), timestamps now.
nlohmann::json make_event(const InvolvedObject& object, EventType type, std::string_view reason,
                          std::string_view message, std::string_view component);

class EventRecorder {
 public:
  // component: source.component and reportingComponent, i.e. the provisioner name.
  EventRecorder(kube::KubeApi& client, std::string component, log::Logger& logger,
                std::size_t max_pending = 10000);
  // Posts what is still pending for at most kShutdownFlush, then drops (and logs) the rest.
  ~EventRecorder();

  static constexpr std::chrono::seconds kShutdownFlush{2};
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  void record(const InvolvedObject& object, EventType type, std::string_view reason,
              std::string_view message);
  // As record, unless this very event (same object, type, reason and message) exists already,
  // posted by this process or found on the server: then nothing is written. For verdicts
  // that are re-derived rather than re-happening: a refusal a previous leader reported is not
  // news to the user when the next leader reaches the same verdict.
  void record_once(const InvolvedObject& object, EventType type, std::string_view reason,
                   std::string_view message);

  // Blocks until every event recorded so far was posted (or failed). For tests.
  void flush();

 private:
  struct Pending {
    InvolvedObject object;
    EventType type;
    std::string reason;
    std::string message;
    bool once = false;  // record_once: never bump an existing one
  };

  void post_loop(std::stop_token stop);
  void enqueue(Pending event);
  void post(const Pending& event);

  kube::KubeApi& client_;
  std::string component_;
  log::Logger& logger_;
  std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<Pending> pending_;
  bool posting_ = false;
  std::size_t dropped_ = 0;
  // Only the posting thread touches this: the hash of an event's identity (its name's
  // suffix) and its count, sorted by hash. 16 bytes an Event, where a map node took 64.
  std::vector<std::pair<std::uint64_t, int>> posted_;
  std::jthread thread_;  // last: started after everything it uses, stopped first
};

}  // namespace nfsprov::controller
