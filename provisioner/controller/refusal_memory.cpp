#include "provisioner/controller/refusal_memory.h"

namespace nfsprov::controller {

bool RefusalMemory::should_report(const std::string& key, const std::string& fingerprint) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  auto [it, inserted] = seen_.try_emplace(key, Seen{fingerprint, now});
  if (inserted) return true;
  if (it->second.fingerprint != fingerprint || now - it->second.when >= repeat_after_) {
    it->second = Seen{fingerprint, now};
    return true;
  }
  return false;
}

void RefusalMemory::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  seen_.erase(key);
}

}  // namespace nfsprov::controller
