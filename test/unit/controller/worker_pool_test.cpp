// WorkerPool with a real WorkQueue and steps of the test's own: what a worker does with a key
// after its step (done, retry, an exception), when workers start (a burst, a stuck worker), the
// cap, idle workers ending, the busy state liveness reads, and closing. The workers run on
// their own threads: the test waits for what they did (with a limit), never for time to pass,
// but where a worker must outlast its idle time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/controller/controller_observer.h"
#include "provisioner/controller/work_queue.h"
#include "provisioner/controller/worker_pool.h"
#include "provisioner/log/log.h"

using namespace nfsprov;
using namespace std::chrono_literals;
using controller::StepResult;
using controller::WorkerPool;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kPatience = 10s;  // for what must happen at once: only a failing test waits it out

// The steps the pool runs: each records that it started, waits while its key is held, and
// ends as the test set (done by default).
class Steps {
 public:
  enum class Outcome { done, retry, fail };

  WorkerPool::Step function() {
    return [this](const std::string& key) { return step(key); };
  }
  void hold(const std::string& key) {
    const std::lock_guard lock(mutex_);
    held_.insert(key);
  }
  void release(const std::string& key) {
    {
      const std::lock_guard lock(mutex_);
      held_.erase(key);
    }
    changed_.notify_all();
  }
  void release_all() {
    {
      const std::lock_guard lock(mutex_);
      held_.clear();
    }
    changed_.notify_all();
  }
  // The outcomes of key's next steps, in order; done once they are used up.
  void set_outcomes(const std::string& key, std::vector<Outcome> outcomes) {
    const std::lock_guard lock(mutex_);
    outcomes_[key] = std::move(outcomes);
  }
  // Blocks until key's step started `times` times; false after kPatience.
  bool wait_started(const std::string& key, std::size_t times = 1) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return count(started_, key) >= times; });
  }
  // Blocks until `steps` steps run at once; false after kPatience.
  bool wait_running(std::size_t steps) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return running_ >= steps; });
  }
  std::size_t most_at_once() const {
    const std::lock_guard lock(mutex_);
    return most_;
  }

 private:
  static std::size_t count(const std::vector<std::string>& keys, const std::string& key) {
    return static_cast<std::size_t>(std::count(keys.begin(), keys.end(), key));
  }

  StepResult step(const std::string& key) {
    Outcome outcome = Outcome::done;
    {
      std::unique_lock lock(mutex_);
      started_.push_back(key);
      most_ = std::max(most_, ++running_);
      changed_.notify_all();
      changed_.wait(lock, [&] { return !held_.contains(key); });
      --running_;
      if (auto& next = outcomes_[key]; !next.empty()) {
        outcome = next.front();
        next.erase(next.begin());
      }
    }
    changed_.notify_all();
    if (outcome == Outcome::fail) throw std::runtime_error("disk on fire");
    return outcome == Outcome::done ? StepResult::done : StepResult::retry;
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::string> held_;
  std::map<std::string, std::vector<Outcome>> outcomes_;
  std::vector<std::string> started_;
  std::size_t running_ = 0;
  std::size_t most_ = 0;
};

// Counts what the pool reports. queue_depth comes last for each key a worker takes: once it
// was reported n times, n keys were handed back to the queue.
class CountingObserver : public controller::ControllerObserver {
 public:
  void queue_depth(std::size_t depth) override {
    {
      const std::lock_guard lock(mutex_);
      ++depth_reports_;
      last_depth_ = depth;
    }
    changed_.notify_all();
  }
  void queue_retry() override {
    const std::lock_guard lock(mutex_);
    ++retries_;
  }
  // Blocks until keys were handed back `keys` times; false after kPatience.
  bool wait_handed_back(std::size_t keys) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return depth_reports_ >= keys; });
  }
  std::size_t retries() const {
    const std::lock_guard lock(mutex_);
    return retries_;
  }
  std::size_t last_depth() const {
    const std::lock_guard lock(mutex_);
    return last_depth_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t depth_reports_ = 0;
  std::size_t last_depth_ = 0;
  std::size_t retries_ = 0;
};

// A pool of `workers` on a queue whose back-off is an hour unless given: a retried key stays
// delayed for the test to see. Its end lets every step go and closes the pool, as the
// controller's stop does.
struct Rig {
  explicit Rig(int workers, Clock::duration idle = 60s,
               core::BackoffPolicy backoff = {std::chrono::hours(1), std::chrono::hours(1)})
      : queue(backoff), pool(queue, workers, idle, steps.function(), logger, observer) {}
  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;
  ~Rig() {
    steps.release_all();
    queue.shut_down();
    pool.close_and_join();
  }
  // What the controller's enqueue does.
  void enqueue(const std::string& key) {
    queue.add(key);
    pool.add_worker_if_needed();
  }

  controller::WorkQueue queue;
  std::ostringstream log_stream;
  log::Logger logger{log_stream, log::Level::debug};
  CountingObserver observer;
  Steps steps;
  WorkerPool pool;  // last: its workers use the rest
};

// Polls (a count without a condition variable) until condition holds; false after kPatience.
template <class Condition>
bool soon(Condition condition) {
  const auto give_up = Clock::now() + kPatience;
  while (!condition()) {
    if (Clock::now() >= give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("WorkerPool: a key whose step is done is forgotten: its back-off starts over") {
  // A millisecond's back-off: the failed key comes back at once.
  Rig rig(1, 60s, {1ms, 1ms});
  rig.steps.set_outcomes("claim/web/data", {Steps::Outcome::retry, Steps::Outcome::done});
  rig.queue.add("claim/web/data");
  rig.pool.start();

  REQUIRE(rig.observer.wait_handed_back(2));
  CHECK(rig.observer.retries() == 1);
  CHECK(rig.queue.num_requeues("claim/web/data") == 0);
  CHECK(rig.queue.len() == 0);
  CHECK(rig.queue.delayed_len() == 0);
  CHECK(rig.pool.worked() == 2);
  CHECK(rig.observer.last_depth() == 0);
}

TEST_CASE("WorkerPool: a key whose step asks for a retry goes back with back-off, counted") {
  Rig rig(1);
  rig.steps.set_outcomes("volume/pvc-1", {Steps::Outcome::retry});
  rig.queue.add("volume/pvc-1");
  rig.pool.start();

  REQUIRE(rig.observer.wait_handed_back(1));
  CHECK(rig.observer.retries() == 1);
  CHECK(rig.queue.num_requeues("volume/pvc-1") == 1);
  CHECK(rig.queue.len() == 0);
  CHECK(rig.queue.delayed_len() == 1);  // an hour's back-off
  CHECK(rig.observer.last_depth() == 1);
  CHECK(rig.pool.worked() == 1);
}

TEST_CASE("WorkerPool: an exception from a step is logged and the key retried") {
  Rig rig(1);
  rig.steps.set_outcomes("claim/web/data", {Steps::Outcome::fail});
  rig.queue.add("claim/web/data");
  rig.pool.start();

  REQUIRE(rig.observer.wait_handed_back(1));
  CHECK(rig.observer.retries() == 1);
  CHECK(rig.queue.delayed_len() == 1);
  const std::string log = rig.log_stream.str();
  CHECK(log.find("unexpected error in worker") != std::string::npos);
  CHECK(log.find("key=claim/web/data") != std::string::npos);
  CHECK(log.find("disk on fire") != std::string::npos);

  // The worker lives on: the next key is worked.
  rig.enqueue("claim/web/logs");
  CHECK(rig.observer.wait_handed_back(2));
}

TEST_CASE("WorkerPool: a burst of keys gets more workers, started by the workers that take them") {
  Rig rig(3);
  for (const char* key : {"claim/a", "claim/b", "claim/c"}) {
    rig.steps.hold(key);
    rig.queue.add(key);
  }
  // Only the first worker starts from outside: each worker that takes a key while more wait
  // starts the next.
  rig.pool.start();

  REQUIRE(rig.steps.wait_running(3));
  CHECK(rig.pool.running() == 3);
}

TEST_CASE("WorkerPool: a key queued while the only worker is stuck is taken by a second worker") {
  Rig rig(2);
  rig.steps.hold("claim/frozen/data");
  // Queued before the start: the first worker takes it, with nothing else queued, so no
  // second worker starts yet.
  rig.queue.add("claim/frozen/data");
  rig.pool.start();
  REQUIRE(rig.steps.wait_started("claim/frozen/data"));
  REQUIRE(rig.pool.running() == 1);

  // The bug once found: extra workers started only when a running worker took a key, so a
  // claim queued behind a step stuck on a frozen export waited for it.
  rig.enqueue("claim/web/data");
  CHECK(rig.steps.wait_started("claim/web/data"));
  CHECK(rig.pool.running() == 2);
}

TEST_CASE("WorkerPool: never more workers than its size, nor steps at once") {
  Rig rig(3);
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i) {
    keys.push_back("claim/ns/c" + std::to_string(i));
    rig.steps.hold(keys.back());
    rig.queue.add(keys.back());
  }
  rig.pool.start();
  REQUIRE(rig.steps.wait_running(3));
  REQUIRE(rig.queue.len() == 5);

  // Keys wait and no worker is free: only the cap keeps another from starting (running()
  // counts a worker as soon as it is started).
  rig.pool.add_worker_if_needed();
  CHECK(rig.pool.running() == 3);
  CHECK(rig.pool.size() == 3);

  rig.steps.release_all();
  REQUIRE(rig.observer.wait_handed_back(keys.size()));
  CHECK(rig.steps.most_at_once() == 3);
  CHECK(rig.pool.running() <= 3);
}

TEST_CASE("WorkerPool: idle workers end, down to one, which stays") {
  constexpr auto kIdle = 20ms;
  Rig rig(3, kIdle);
  for (const char* key : {"claim/a", "claim/b", "claim/c"}) {
    rig.steps.hold(key);
    rig.queue.add(key);
  }
  rig.pool.start();
  REQUIRE(rig.steps.wait_running(3));
  REQUIRE(rig.pool.running() == 3);

  rig.steps.release_all();
  REQUIRE(rig.observer.wait_handed_back(3));
  CHECK(soon([&] { return rig.pool.running() == 1; }));

  // The last one outlasts its idle time, over and over: this wait is the time it must
  // outlast, not a hope that something happened meanwhile.
  std::this_thread::sleep_for(kIdle * 10);
  CHECK(rig.pool.running() == 1);
  // And it still takes keys: no other worker starts while it waits, nor with none running.
  rig.enqueue("claim/d");
  CHECK(rig.observer.wait_handed_back(4));
}

TEST_CASE("WorkerPool: busy_steps shows the worker in a step, its key and since when") {
  Rig rig(2);
  CHECK(rig.pool.busy_steps().empty());

  rig.steps.hold("claim/frozen/data");
  const auto before = Clock::now();
  rig.queue.add("claim/frozen/data");
  rig.pool.start();
  REQUIRE(rig.steps.wait_started("claim/frozen/data"));
  const auto after = Clock::now();

  const auto busy = rig.pool.busy_steps();
  REQUIRE(busy.size() == 1);
  CHECK(busy[0].worker == 0);
  CHECK(busy[0].key == "claim/frozen/data");
  CHECK(busy[0].since >= before);
  CHECK(busy[0].since <= after);

  // Done with its step, the worker waits for work: busy no more.
  rig.steps.release("claim/frozen/data");
  REQUIRE(rig.observer.wait_handed_back(1));
  CHECK(rig.pool.busy_steps().empty());
}

TEST_CASE("WorkerPool: close_and_join ends every worker, those waiting for a key too") {
  Rig rig(3);
  rig.steps.hold("claim/frozen/data");
  rig.queue.add("claim/frozen/data");
  rig.pool.start();
  REQUIRE(rig.steps.wait_started("claim/frozen/data"));
  // A second worker takes this one and then waits for work.
  rig.enqueue("claim/web/data");
  REQUIRE(rig.observer.wait_handed_back(1));
  REQUIRE(soon([&] { return rig.queue.waiting() == 1; }));
  REQUIRE(rig.pool.running() == 2);

  // As the controller stops: the queue first, then the steps under way end (their calls
  // cancelled), then the pool.
  rig.queue.shut_down();
  rig.steps.release("claim/frozen/data");
  rig.pool.close_and_join();
  CHECK(rig.pool.running() == 0);
  CHECK(rig.pool.busy_steps().empty());

  // Closed: nothing starts a worker again (one would count at once in running()).
  rig.pool.start();
  rig.pool.add_worker_if_needed();
  CHECK(rig.pool.running() == 0);
}
