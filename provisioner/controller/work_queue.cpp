#include "provisioner/controller/work_queue.h"

#include <algorithm>

namespace nfsprov::controller {

WorkQueue::WorkQueue(core::BackoffPolicy policy, core::SteadyClock clock)
    : clock_(clock), backoff_(policy, std::move(clock)) {}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  add_locked(key);
}

void WorkQueue::add_locked(const std::string& key) {
  if (!dirty_.insert(key).second) return;
  ++counters_.adds;
  // A key being processed goes back into the queue from done(), never to a second worker.
  if (processing_.contains(key)) return;
  queue_.push_back(key);
  ready_.notify_one();
}

void WorkQueue::add_after(const std::string& key, std::chrono::steady_clock::duration delay) {
  std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  if (delay <= delay.zero()) {
    add_locked(key);
    return;
  }
  TimePoint due = clock_() + delay;
  auto [it, inserted] = delayed_.try_emplace(key, due);
  if (!inserted && due < it->second) it->second = due;
  // A getter may be sleeping until a later time: let it recompute.
  ready_.notify_all();
}

void WorkQueue::add_rate_limited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) return;
    ++counters_.retries;
    delay = backoff_.next_delay(key);
  }
  add_after(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  backoff_.forget(key);
}

std::uint32_t WorkQueue::num_requeues(const std::string& key) const {
  std::lock_guard lock(mutex_);
  return backoff_.failures(key);
}

void WorkQueue::promote_due_locked(TimePoint now) {
  for (auto it = delayed_.begin(); it != delayed_.end();) {
    if (it->second <= now) {
      add_locked(it->first);
      it = delayed_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> WorkQueue::pop_locked() {
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

std::optional<std::string> WorkQueue::get() {
  return get_for(std::chrono::steady_clock::duration::max());
}

std::optional<std::string> WorkQueue::get_for(std::chrono::steady_clock::duration idle) {
  // The idle limit is real time (the condition variable's), whatever clock_ is.
  using Real = std::chrono::steady_clock;
  const bool forever = idle == Real::duration::max();
  const Real::time_point give_up = forever ? Real::time_point::max() : Real::now() + idle;
  std::unique_lock lock(mutex_);
  while (true) {
    if (shutting_down_ && !draining_) return std::nullopt;
    TimePoint now = clock_();
    if (!shutting_down_) promote_due_locked(now);
    if (auto key = pop_locked()) return key;
    if (shutting_down_) {
      // Draining: a key being processed may still be re-queued by its done().
      if (processing_.empty()) return std::nullopt;
      ++waiting_;
      ready_.wait(lock);
      --waiting_;
      continue;
    }
    if (!forever && Real::now() >= give_up) return std::nullopt;
    Real::time_point until = give_up;
    if (!delayed_.empty()) {
      auto next = std::min_element(delayed_.begin(), delayed_.end(), [](auto& a, auto& b) {
                    return a.second < b.second;
                  })->second;
      until = std::min(until, Real::now() + (next - now));
    }
    ++waiting_;
    if (until == Real::time_point::max())
      ready_.wait(lock);
    else
      ready_.wait_until(lock, until);
    --waiting_;
  }
}

std::optional<std::string> WorkQueue::try_get() {
  std::lock_guard lock(mutex_);
  if (shutting_down_ && !draining_) return std::nullopt;
  if (!shutting_down_) promote_due_locked(clock_());
  return pop_locked();
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mutex_);
  processing_.erase(key);
  if (dirty_.contains(key)) {
    queue_.push_back(key);
    ready_.notify_one();
  }
  if (shutting_down_) ready_.notify_all();  // draining getters wait for processing to end
  idle_.notify_all();
}

void WorkQueue::shut_down(bool drain) {
  std::unique_lock lock(mutex_);
  shutting_down_ = true;
  draining_ = drain;
  delayed_.clear();
  ready_.notify_all();
  idle_.notify_all();
  if (drain) {
    idle_.wait(lock, [this] { return !draining_ || (queue_.empty() && processing_.empty()); });
  }
}

bool WorkQueue::shutting_down() const {
  std::lock_guard lock(mutex_);
  return shutting_down_;
}

void WorkQueue::wake() {
  std::lock_guard lock(mutex_);
  ready_.notify_all();
}

std::size_t WorkQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

std::size_t WorkQueue::len() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t WorkQueue::delayed_len() const {
  std::lock_guard lock(mutex_);
  return delayed_.size();
}

WorkQueueCounters WorkQueue::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace nfsprov::controller
