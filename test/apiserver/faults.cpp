#include "test/apiserver/faults.h"

#include "test/apiserver/status_error.h"

namespace nfsprov::testing::apiserver {

void Faults::apply(const nlohmann::json& fault) {
  if (!fault.is_object()) throw StatusError(400, "BadRequest", "a fault is a JSON object");
  std::lock_guard lock(mutex_);
  if (fault.value("clear", false)) {
    status_ = remaining_ = retry_after_ = 0;
    latency_ = std::chrono::milliseconds(0);
    expire_next_watch_ = false;
    refused_.clear();
    held_.clear();
    released_.notify_all();
  }
  if (fault.contains("refuse")) refused_ = fault["refuse"].get<std::string>();
  if (fault.contains("hold")) held_ = fault["hold"].get<std::string>();
  if (fault.value("drop_watches", false)) drop_generation_++;
  if (fault.value("expire_next_watch", false)) expire_next_watch_ = true;
  if (fault.contains("status")) {
    status_ = fault["status"].get<int>();
    remaining_ = fault.value("count", 1);
    retry_after_ = fault.value("retry_after", status_ == 429 ? 1 : 0);
  }
  if (fault.contains("latency_ms"))
    latency_ = std::chrono::milliseconds(fault["latency_ms"].get<int>());
}

std::optional<Faults::Failure> Faults::take_failure(const std::string& method,
                                                    const std::string& path) {
  std::lock_guard lock(mutex_);
  if (!refused_.empty() && refused_ == method + " " + path) return Failure{503, 0};
  if (remaining_ <= 0) return std::nullopt;
  remaining_--;
  return Failure{status_, retry_after_};
}

bool Faults::wait_while_held(const std::string& method, const std::string& path) {
  const std::string request = method + " " + path;
  std::unique_lock lock(mutex_);
  if (held_.empty() || held_ != request) return false;
  ++held_count_;
  released_.wait(lock, [&] { return held_ != request; });
  return true;
}

std::size_t Faults::held_count() const {
  std::lock_guard lock(mutex_);
  return held_count_;
}

std::chrono::milliseconds Faults::latency() const {
  std::lock_guard lock(mutex_);
  return latency_;
}

bool Faults::take_expire_next_watch() {
  std::lock_guard lock(mutex_);
  bool was = expire_next_watch_;
  expire_next_watch_ = false;
  return was;
}

std::uint64_t Faults::drop_generation() const {
  std::lock_guard lock(mutex_);
  return drop_generation_;
}

}  // namespace nfsprov::testing::apiserver
