#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/controller/work_queue.h"
#include "provisioner/core/backoff.h"

using namespace nfsprov::controller;
using nfsprov::core::SteadyClock;
using namespace std::chrono_literals;

namespace {

// A clock that moves only when the test says so.
struct ManualClock {
  std::shared_ptr<std::atomic<std::chrono::steady_clock::time_point>> now =
      std::make_shared<std::atomic<std::chrono::steady_clock::time_point>>();
  SteadyClock clock() const {
    return [now = now] { return now->load(); };
  }
  void advance(std::chrono::steady_clock::duration by) { now->store(now->load() + by); }
};

}  // namespace

TEST_CASE("work queue: FIFO, a waiting key is worked once", "[queue]") {
  WorkQueue queue;
  queue.add("a");
  queue.add("b");
  queue.add("a");
  CHECK(queue.len() == 2);
  CHECK(queue.counters().adds == 2);
  CHECK(queue.get() == "a");
  CHECK(queue.get() == "b");
  CHECK(queue.try_get() == std::nullopt);
  queue.done("a");
  queue.done("b");
  CHECK(queue.len() == 0);
}

TEST_CASE("work queue: a key re-added while processing comes back after done()", "[queue]") {
  WorkQueue queue;
  queue.add("a");
  CHECK(queue.get() == "a");
  queue.add("a");
  queue.add("a");
  CHECK(queue.try_get() == std::nullopt);  // never to a second worker meanwhile
  CHECK(queue.len() == 0);
  queue.done("a");
  CHECK(queue.len() == 1);
  CHECK(queue.try_get() == "a");
  queue.done("a");
  CHECK(queue.try_get() == std::nullopt);
}

TEST_CASE("work queue: add_after holds a key until the clock reaches it", "[queue]") {
  ManualClock manual;
  WorkQueue queue({}, manual.clock());
  queue.add_after("late", 10s);
  queue.add_after("early", 2s);
  queue.add_after("late", 30s);  // the earlier time stays
  queue.add_after("now", 0s);
  CHECK(queue.delayed_len() == 2);
  CHECK(queue.try_get() == "now");
  CHECK(queue.try_get() == std::nullopt);
  manual.advance(2s);
  CHECK(queue.try_get() == "early");
  manual.advance(7999ms);
  CHECK(queue.try_get() == std::nullopt);
  manual.advance(1ms);
  CHECK(queue.try_get() == "late");
  CHECK(queue.delayed_len() == 0);
}

TEST_CASE("work queue: add_rate_limited backs off per key until forget", "[queue]") {
  ManualClock manual;
  WorkQueue queue({100ms, 1s}, manual.clock());
  queue.add_rate_limited("k");
  CHECK(queue.num_requeues("k") == 1);
  CHECK(queue.try_get() == std::nullopt);
  manual.advance(100ms);
  CHECK(queue.try_get() == "k");
  queue.done("k");
  queue.add_rate_limited("k");
  manual.advance(199ms);
  CHECK(queue.try_get() == std::nullopt);
  manual.advance(1ms);
  CHECK(queue.try_get() == "k");
  queue.done("k");
  CHECK(queue.counters().retries == 2);
  queue.forget("k");
  CHECK(queue.num_requeues("k") == 0);
  queue.add_rate_limited("k");
  manual.advance(100ms);
  CHECK(queue.try_get() == "k");
}

TEST_CASE("work queue: a blocked get() wakes for a delayed key on the real clock", "[queue]") {
  WorkQueue queue;
  queue.add_after("soon", 2ms);
  CHECK(queue.get() == "soon");  // blocks about 2 ms, no assertion on how long
}

TEST_CASE("work queue: get_for gives up when idle and still takes what comes", "[queue]") {
  WorkQueue queue;
  const auto start = std::chrono::steady_clock::now();
  CHECK(queue.get_for(20ms) == std::nullopt);
  CHECK(std::chrono::steady_clock::now() - start >= 20ms);
  CHECK_FALSE(queue.shutting_down());
  // A key that becomes ready before the limit is taken, waiting for it included.
  queue.add_after("soon", 5ms);
  CHECK(queue.get_for(10s) == "soon");
  queue.done("soon");
  // One added by another thread meanwhile wakes it.
  std::jthread adder([&] {
    std::this_thread::sleep_for(5ms);
    queue.add("later");
  });
  CHECK(queue.get_for(10s) == "later");
  // A key due after the limit is not: nullopt at the limit, the key still delayed.
  queue.add_after("much later", 1h);
  CHECK(queue.get_for(10ms) == std::nullopt);
  CHECK(queue.delayed_len() == 1);
}

TEST_CASE("work queue: shut_down wakes blocked getters and refuses new keys", "[queue]") {
  WorkQueue queue;
  std::vector<std::optional<std::string>> results(3, "not returned");
  {
    std::vector<std::jthread> getters;
    for (auto& result : results) getters.emplace_back([&] { result = queue.get(); });
    // Only once all three wait in get() does shut_down() have anyone to wake: called earlier,
    // a getter would find the queue shut and return without ever blocking, and the test would
    // pass with a shut_down() that wakes nobody. (It fails by hanging then: ctest's timeout.)
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (queue.waiting() < results.size() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE(queue.waiting() == results.size());
    queue.shut_down();
  }
  CHECK(queue.waiting() == 0);
  for (const auto& result : results) CHECK(result == std::nullopt);
  queue.add("late");
  CHECK(queue.len() == 0);
  CHECK(queue.shutting_down());
}

TEST_CASE("work queue: draining shut-down hands out queued keys and waits for done()", "[queue]") {
  WorkQueue queue;
  queue.add("in-flight");
  auto first = queue.get();
  queue.add("in-flight");  // re-added while processing: must still be worked
  queue.add("queued");
  queue.add_after("delayed", 1h);
  std::vector<std::string> worked;
  std::jthread worker([&] {
    queue.done(*first);
    while (auto key = queue.get()) {
      worked.push_back(*key);
      queue.done(*key);
    }
  });
  queue.shut_down(true);  // returns once everything ready was worked
  worker.join();
  CHECK(worked == std::vector<std::string>{"queued", "in-flight"});
  CHECK(queue.len() == 0);
  CHECK(queue.delayed_len() == 0);  // delayed keys are abandoned at shut-down
}

TEST_CASE("work queue: concurrent producers and consumers never share a key", "[queue]") {
  WorkQueue queue({1ms, 4ms});
  constexpr int kKeys = 20;
  constexpr int kRounds = 200;
  std::atomic<int> in_progress[kKeys] = {};
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::set<std::string> seen;
  std::mutex seen_mutex;
  {
    std::vector<std::jthread> consumers;
    for (int c = 0; c < 4; ++c) {
      consumers.emplace_back([&] {
        while (auto key = queue.get()) {
          int index = std::stoi(*key);
          if (in_progress[index].fetch_add(1) != 0) overlap = true;
          {
            std::lock_guard lock(seen_mutex);
            seen.insert(*key);
          }
          if (processed.fetch_add(1) % 7 == 0) queue.add_rate_limited(*key);
          in_progress[index].fetch_sub(1);
          queue.done(*key);
        }
      });
    }
    {
      std::vector<std::jthread> producers;
      for (int p = 0; p < 3; ++p) {
        producers.emplace_back([&, p] {
          for (int i = 0; i < kRounds; ++i) queue.add(std::to_string((i * 3 + p) % kKeys));
        });
      }
    }
    // Every produced key is worked at least once after its last add. The wait is bounded, so
    // the check after it can fail: a key the consumers never get leaves seen short.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    const auto all_worked = [&] {
      std::lock_guard lock(seen_mutex);
      return seen.size() == kKeys && queue.len() == 0 && queue.delayed_len() == 0;
    };
    bool worked = false;
    while (!(worked = all_worked()) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    CHECK(worked);
    queue.shut_down(true);
  }
  CHECK_FALSE(overlap);
  CHECK(seen.size() == kKeys);
  CHECK(processed.load() >= kKeys);
  CHECK(queue.counters().adds >= static_cast<std::uint64_t>(kKeys));
}
