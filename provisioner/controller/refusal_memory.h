// Remembers which objects were refused in which state, so a refusal is reported once per
// change of the claim (or PV) or its class, or again after a long quiet period — never on
// every resync or retry (no event storm for a claim nobody fixes).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace nfsprov::controller {

class RefusalMemory {
 public:
  explicit RefusalMemory(std::chrono::steady_clock::duration repeat_after)
      : repeat_after_(repeat_after) {}

  // True when this refusal should be reported now (first time, the fingerprint changed, or
  // repeat_after has passed); remembers it. fingerprint: what the refusal depends on, e.g.
  // the class's resourceVersion and the refusal's message.
  bool should_report(const std::string& key, const std::string& fingerprint);
  // The object was handled or is gone.
  void forget(const std::string& key);

 private:
  struct Seen {
    std::string fingerprint;
    std::chrono::steady_clock::time_point when;
  };
  std::chrono::steady_clock::duration repeat_after_;
  std::mutex mutex_;
  std::map<std::string, Seen> seen_;
};

}  // namespace nfsprov::controller
