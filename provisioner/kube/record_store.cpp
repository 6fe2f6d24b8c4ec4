#include "provisioner/kube/record_store.h"

namespace nfsprov::kube {

std::optional<std::string_view> RecordStore::find(std::string_view key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return record_of(*it);
}

void RecordStore::put(std::string_view key, std::string_view record) {
  std::string entry;
  entry.reserve(key.size() + 1 + record.size());
  entry.append(key).append(1, '\0').append(record);
  if (auto it = entries_.find(key); it != entries_.end()) {
    auto node = entries_.extract(it);
    node.value() = std::move(entry);
    entries_.insert(std::move(node));
    return;
  }
  entries_.insert(std::move(entry));
}

std::optional<std::string> RecordStore::take(std::string_view key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  auto node = entries_.extract(it);
  return std::string(record_of(node.value()));
}

}  // namespace nfsprov::kube
