// WorkerPool: the controller's elastic workers. Each takes a key from the WorkQueue, runs the
// step on it, and hands the key back: forgotten when done, re-queued with back-off on retry.
// One worker waits for work; more start while keys wait for a worker, up to the pool's size,
// and each of those ends after the idle time without work. A burst gets every worker it may
// use; an idle provisioner keeps one thread. The step is the caller's (the controller's
// process), so the pool runs with any step and a test drives it with its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/controller/controller_observer.h"
#include "provisioner/controller/work_context.h"
#include "provisioner/controller/work_queue.h"
#include "provisioner/log/log.h"

namespace nfsprov::controller {

// A worker in a step (WorkerPool::busy_steps): what Controller::stalls judges.
struct BusyStep {
  std::size_t worker = 0;  // its slot, from 0
  std::string key;
  std::chrono::steady_clock::time_point since;
};

class WorkerPool {
 public:
  // Works one key; an exception counts as retry.
  using Step = std::function<StepResult(const std::string& key)>;

  // queue, logger and observer must outlive the pool. At most max(1, workers) run at once; a
  // worker beyond the last one ends after idle without a key.
  WorkerPool(WorkQueue& queue, int workers, std::chrono::steady_clock::duration idle, Step step,
             log::Logger& logger, ControllerObserver& observer);
  // Joins what still runs: call queue.shut_down() (and close_and_join) first.
  ~WorkerPool() = default;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // The first worker (none starts before: the controller starts workers on full caches). Once;
  // nothing after close_and_join.
  void start();
  // Another worker when keys wait, no worker waits for one, and fewer than the pool's size run
  // (none before start). Whoever queues keys calls it, after queueing them: a worker stuck on
  // a frozen export must not hold up the keys queued after it.
  void add_worker_if_needed();
  // Ends every worker (after queue.shut_down()); none starts afterwards.
  void close_and_join();

  // The workers in a step now, with the key and since when (a waiting worker is not listed).
  std::vector<BusyStep> busy_steps() const;
  // Keys worked so far (done or retry).
  std::uint64_t worked() const { return worked_.load(); }
  // Workers running now (in a step or waiting for a key).
  std::size_t running() const;
  // The most that run at once.
  std::size_t size() const { return busy_.size(); }

 private:
  void worker_loop(std::size_t worker);

  WorkQueue& queue_;
  std::chrono::steady_clock::duration idle_;
  Step step_;
  log::Logger& logger_;
  ControllerObserver& observer_;
  // Per worker, for liveness: since when it works on which key (since 0: waiting for one).
  struct Busy {
    std::atomic<std::chrono::steady_clock::rep> since{0};
    mutable std::mutex mutex;
    std::string key;
  };
  std::vector<Busy> busy_;
  std::atomic<std::uint64_t> worked_{0};
  // Workers, one slot each (busy_[] too): see the top of this file.
  mutable std::mutex workers_mutex_;
  std::vector<bool> worker_running_;  // by slot
  std::size_t workers_running_ = 0;
  bool workers_closed_ = false;
  // By slot; joinable once started. Last: a thread still running is joined before what it
  // uses goes.
  std::vector<std::jthread> worker_threads_;
};

}  // namespace nfsprov::controller
