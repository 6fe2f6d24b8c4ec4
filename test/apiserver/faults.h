// Faults injected through the admin endpoint /_test/faults, consulted on every request.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

namespace nfsprov::testing::apiserver {

class Faults {
 public:
  struct Failure {
    int status;
    int retry_after;  // seconds, 0 = no header
  };
  // Accepts {"drop_watches":true}, {"expire_next_watch":true}, {"status":N,"count":C,
  // "retry_after":S}, {"latency_ms":M}, {"clear":true}; several keys may be combined.
  void apply(const nlohmann::json& fault);
  // The failure the next API request must answer with, if any (consumes one).
  std::optional<Failure> take_failure();
  std::chrono::milliseconds latency() const;
  bool take_expire_next_watch();
  std::uint64_t drop_generation() const;

 private:
  mutable std::mutex mutex_;
  int status_ = 0;
  int remaining_ = 0;
  int retry_after_ = 0;
  std::chrono::milliseconds latency_{0};
  bool expire_next_watch_ = false;
  std::uint64_t drop_generation_ = 0;
};

}  // namespace nfsprov::testing::apiserver
