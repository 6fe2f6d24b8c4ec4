// WorkQueue: client-go's rate-limited work queue for string keys ("namespace/name").
//  - a key added while it waits is worked once (deduplicated);
//  - a key added while it is being processed is queued again when done(key) is called, so
//    one key is never processed by two workers at once;
//  - add_after() holds a key until a time; add_rate_limited() delays it by the key's back-off.
//    Delayed keys are promoted by whichever get() runs (condition_variable wait_until): no
//    timer thread, nothing dropped while the queue runs.
// Thread-safe; every method may be called from any thread. It blocks its callers (mutex,
// condition variables), so it lives with the controller's threads, not in the pure core; the
// back-off it applies is core's (core/backoff.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "provisioner/core/backoff.h"

namespace nfsprov::controller {

struct WorkQueueCounters {
  std::uint64_t adds = 0;     // keys that entered the queue (duplicates of a waiting key excluded)
  std::uint64_t retries = 0;  // add_rate_limited() calls
};

class WorkQueue {
 public:
  // The clock drives add_after/add_rate_limited. With a manual clock, advance it and call
  // try_get() (or wake()) to see delayed keys become ready.
  explicit WorkQueue(core::BackoffPolicy policy = {},
                     core::SteadyClock clock = core::real_steady_clock());
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Ignored after shut_down().
  void add(const std::string& key);
  // delay <= 0 adds now. A key already delayed keeps the earlier of the two times.
  void add_after(const std::string& key, std::chrono::steady_clock::duration delay);
  // add_after(key, back-off delay of key); counts a retry.
  void add_rate_limited(const std::string& key);
  // Resets key's back-off (call after success or when giving up). Does not unqueue it.
  void forget(const std::string& key);
  // Failures counted for key since its last forget().
  std::uint32_t num_requeues(const std::string& key) const;

  // Blocks until a key is ready, then marks it processing. nullopt once shut down (after a
  // draining shut-down: once nothing ready is left).
  std::optional<std::string> get();
  // get() that gives up after idle with nothing ready: nullopt then too (shutting_down() tells
  // the two apart). For workers that end when there is no work for them.
  std::optional<std::string> get_for(std::chrono::steady_clock::duration idle);
  // Non-blocking get(): nullopt when nothing is ready now.
  std::optional<std::string> try_get();
  // The worker finished key; re-queues it if it was added meanwhile.
  void done(const std::string& key);

  // Stops accepting keys and wakes every get(). Without drain, get() returns nullopt at once.
  // With drain, get() still hands out keys that are ready, and this call blocks until those
  // and every key being processed are done() — never call it with drain from a worker.
  // Keys still delayed are abandoned either way (their objects are in the informer's cache).
  void shut_down(bool drain = false);
  bool shutting_down() const;

  // Re-examines delayed keys against the clock and wakes getters (for a manual clock).
  void wake();

  std::size_t len() const;          // keys ready and waiting for a worker
  std::size_t delayed_len() const;  // keys held by add_after/add_rate_limited
  std::size_t waiting() const;      // get()/get_for() calls blocked for a key now
  WorkQueueCounters counters() const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  void add_locked(const std::string& key);
  void promote_due_locked(TimePoint now);
  std::optional<std::string> pop_locked();

  core::SteadyClock clock_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;  // a key is ready, a delay changed, or shut-down
  std::condition_variable idle_;   // processing/queue shrank (draining shut-down waits on it)
  core::Backoff backoff_;
  std::deque<std::string> queue_;
  std::set<std::string, std::less<>> dirty_;               // queued or to be re-queued after done()
  std::set<std::string, std::less<>> processing_;          // handed to a worker, not done yet
  std::map<std::string, TimePoint, std::less<>> delayed_;  // key -> when it becomes ready
  WorkQueueCounters counters_;
  bool shutting_down_ = false;
  bool draining_ = false;
  std::size_t waiting_ = 0;
};

}  // namespace nfsprov::controller
