#include "provisioner/controller/worker_pool.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace nfsprov::controller {

WorkerPool::WorkerPool(WorkQueue& queue, int workers, std::chrono::steady_clock::duration idle,
                       Step step, log::Logger& logger, ControllerObserver& observer)
    : queue_(queue),
      idle_(idle),
      step_(std::move(step)),
      logger_(logger),
      observer_(observer),
      busy_(static_cast<std::size_t>(std::max(1, workers))),
      worker_running_(busy_.size(), false),
      worker_threads_(busy_.size()) {}

void WorkerPool::start() {
  std::lock_guard lock(workers_mutex_);
  if (workers_closed_ || workers_running_ > 0) return;
  worker_running_[0] = true;
  workers_running_ = 1;
  worker_threads_[0] = std::jthread([this] { worker_loop(0); });
}

void WorkerPool::add_worker_if_needed() {
  if (queue_.len() == 0 || queue_.waiting() > 0) return;
  std::lock_guard lock(workers_mutex_);
  if (workers_closed_ || workers_running_ == 0 || workers_running_ >= busy_.size()) return;
  const auto slot = static_cast<std::size_t>(
      std::find(worker_running_.begin(), worker_running_.end(), false) - worker_running_.begin());
  // A slot's last thread has ended its loop (it cleared the slot as its last act).
  if (worker_threads_[slot].joinable()) worker_threads_[slot].join();
  worker_running_[slot] = true;
  ++workers_running_;
  worker_threads_[slot] = std::jthread([this, slot] { worker_loop(slot); });
}

void WorkerPool::close_and_join() {
  {
    std::lock_guard lock(workers_mutex_);
    workers_closed_ = true;
  }
  // Closed: nothing starts or replaces a thread any more.
  for (auto& thread : worker_threads_)
    if (thread.joinable()) thread.join();
}

std::vector<BusyStep> WorkerPool::busy_steps() const {
  using Clock = std::chrono::steady_clock;
  std::vector<BusyStep> found;
  for (std::size_t i = 0; i < busy_.size(); ++i) {
    const auto& state = busy_[i];
    const auto since = state.since.load();
    if (since == 0) continue;
    std::lock_guard lock(state.mutex);
    found.push_back({i, state.key, Clock::time_point(Clock::duration(since))});
  }
  return found;
}

std::size_t WorkerPool::running() const {
  std::lock_guard lock(workers_mutex_);
  return workers_running_;
}

void WorkerPool::worker_loop(std::size_t worker) {
  Busy& state = busy_[worker];
  const auto leave = [this, worker] {
    std::lock_guard lock(workers_mutex_);
    worker_running_[worker] = false;
    --workers_running_;
  };
  while (true) {
    auto key = queue_.get_for(idle_);
    if (!key) {
      if (queue_.shutting_down()) break;
      std::lock_guard lock(workers_mutex_);
      if (workers_running_ == 1) continue;  // the last one stays
      worker_running_[worker] = false;
      --workers_running_;
      return;
    }
    add_worker_if_needed();
    {
      std::lock_guard lock(state.mutex);
      state.key = *key;
    }
    state.since = std::chrono::steady_clock::now().time_since_epoch().count();
    StepResult result = StepResult::retry;
    try {
      result = step_(*key);
    } catch (const std::exception& e) {
      // The steps catch their own errors; this is the last line for the unforeseen.
      logger_.error("unexpected error in worker", {{"key", *key}, {"error", e.what()}});
    }
    if (result == StepResult::done) {
      queue_.forget(*key);
    } else {
      queue_.add_rate_limited(*key);
      observer_.queue_retry();
    }
    state.since = 0;
    ++worked_;
    queue_.done(*key);
    observer_.queue_depth(queue_.len() + queue_.delayed_len());
  }
  leave();
}

}  // namespace nfsprov::controller
