// Faults injected through the admin endpoint /_test/faults, consulted on every request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace nfsprov::testing::apiserver {

class Faults {
 public:
  struct Failure {
    int status;
    int retry_after;  // seconds, 0 = no header
  };
  // Accepts {"drop_watches":true}, {"expire_next_watch":true}, {"status":N,"count":C,
  // "retry_after":S}, {"latency_ms":M}, {"refuse":"METHOD /path"}, {"clear":true}; several
  // keys may be combined. A refused request (that method on exactly that path, any query) is
  // answered 503 without reaching the store, every time until "clear": a test that must know
  // no such write is in flight anywhere (say, a PV create of a process it killed) uses it.
  // {"hold":"METHOD /path"} (FaultProxy only) keeps such requests waiting, unanswered and not
  // forwarded, until "clear", which answers them 503: the client sees a write that neither
  // fails nor lands for as long as the test likes.
  void apply(const nlohmann::json& fault);
  // Blocks while method+path is held; true if it was (answer 503, never forward it).
  bool wait_while_held(const std::string& method, const std::string& path);
  // Requests held so far (waiting now or answered 503 at "clear").
  std::size_t held_count() const;
  // The failure this API request must answer with, if any (consumes one counted failure).
  std::optional<Failure> take_failure(const std::string& method, const std::string& path);
  std::chrono::milliseconds latency() const;
  bool take_expire_next_watch();
  std::uint64_t drop_generation() const;

 private:
  mutable std::mutex mutex_;
  int status_ = 0;
  int remaining_ = 0;
  int retry_after_ = 0;
  std::chrono::milliseconds latency_{0};
  std::string refused_;  // "METHOD /path", "" = none
  std::string held_;     // "METHOD /path", "" = none
  std::size_t held_count_ = 0;
  std::condition_variable released_;
  bool expire_next_watch_ = false;
  std::uint64_t drop_generation_ = 0;
};

}  // namespace nfsprov::testing::apiserver
