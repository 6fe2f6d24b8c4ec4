#include "provisioner/kube/record_store.h"

#include <functional>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>

namespace nfsprov::kube {
namespace {

// The smallest table: a store of one claim class costs 64 bytes of it.
constexpr std::size_t kMinCapacity = 8;

// More than 3/4 full: linear probing's probes grow fast beyond that (about 8 to find an empty
// slot at 3/4, 32 at 7/8).
bool over_full(std::size_t entries, std::size_t capacity) {
  return entries * 4 > capacity * 3;
}

// The smallest table that keeps entries from being over full.
std::size_t capacity_for(std::size_t entries) {
  std::size_t capacity = kMinCapacity;
  while (over_full(entries, capacity)) capacity *= 2;
  return capacity;
}

}  // namespace

RecordStore::RecordStore(RecordStore&& other) noexcept
    : slots_(std::move(other.slots_)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)) {}

RecordStore& RecordStore::operator=(RecordStore&& other) noexcept {
  if (this != &other) {
    slots_ = std::move(other.slots_);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

RecordStore::Entry RecordStore::make_entry(std::string_view key, std::string_view record) {
  constexpr std::size_t kMax = std::numeric_limits<std::uint32_t>::max();
  if (key.size() > kMax || record.size() > kMax)
    throw std::length_error("record store: a key or a record of 4 GiB or more");
  // Every byte is written below: no need to zero them first.
  Entry entry = std::make_unique_for_overwrite<char[]>(kHeader + key.size() + record.size());
  const auto key_size = static_cast<std::uint32_t>(key.size());
  const auto record_size = static_cast<std::uint32_t>(record.size());
  std::memcpy(entry.get(), &key_size, sizeof key_size);
  std::memcpy(entry.get() + sizeof key_size, &record_size, sizeof record_size);
  key.copy(entry.get() + kHeader, key.size());
  record.copy(entry.get() + kHeader + key.size(), record.size());
  return entry;
}

std::size_t RecordStore::home_of(std::string_view key) const {
  return std::hash<std::string_view>{}(key) & (capacity_ - 1);
}

std::size_t RecordStore::slot_of(std::string_view key) const {
  const std::size_t mask = capacity_ - 1;
  for (std::size_t i = home_of(key);; i = (i + 1) & mask) {
    const char* entry = slots_[i].get();
    if (entry == nullptr || key_of(entry) == key) return i;
  }
}

void RecordStore::rehash(std::size_t capacity) {
  // Allocated before anything moves: a failure leaves the store as it was.
  std::unique_ptr<Entry[]> slots;
  if (capacity != 0) slots = std::make_unique<Entry[]>(capacity);
  std::unique_ptr<Entry[]> old = std::exchange(slots_, std::move(slots));
  const std::size_t old_capacity = std::exchange(capacity_, capacity);
  const std::size_t mask = capacity_ - 1;
  for (std::size_t i = 0; i < old_capacity; ++i) {
    if (!old[i]) continue;
    // Every key is distinct: the first empty slot from its home is its place.
    std::size_t slot = home_of(key_of(old[i].get()));
    while (slots_[slot]) slot = (slot + 1) & mask;
    slots_[slot] = std::move(old[i]);
  }
}

std::optional<std::string_view> RecordStore::find(std::string_view key) const {
  if (capacity_ == 0) return std::nullopt;
  const char* entry = slots_[slot_of(key)].get();
  if (entry == nullptr) return std::nullopt;
  return record_of(entry);
}

void RecordStore::put(std::string_view key, std::string_view record) {
  // Made first: if it cannot be, the store is unchanged.
  Entry entry = make_entry(key, record);
  std::size_t slot = 0;
  if (capacity_ != 0) {
    slot = slot_of(key);
    if (slots_[slot]) {
      slots_[slot] = std::move(entry);
      return;
    }
  }
  if (capacity_ == 0 || over_full(size_ + 1, capacity_)) {
    rehash(capacity_ == 0 ? kMinCapacity : capacity_ * 2);
    slot = slot_of(key);
  }
  slots_[slot] = std::move(entry);
  ++size_;
}

std::optional<std::string> RecordStore::take(std::string_view key) {
  if (capacity_ == 0) return std::nullopt;
  std::size_t hole = slot_of(key);
  if (!slots_[hole]) return std::nullopt;
  std::string record(record_of(slots_[hole].get()));
  slots_[hole].reset();
  --size_;
  // Linear probing finds a key by walking from its home to an empty slot, so a hole must not
  // be left between an entry and its home: each entry after the hole, up to the next empty
  // slot, moves back into it unless its home lies after the hole (then it is where it must be).
  const std::size_t mask = capacity_ - 1;
  for (std::size_t i = (hole + 1) & mask; slots_[i]; i = (i + 1) & mask) {
    const std::size_t home = home_of(key_of(slots_[i].get()));
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      slots_[hole] = std::move(slots_[i]);
      hole = i;
    }
  }
  // Mostly empty (a relist dropped most objects, or the old cache of a relist is emptied):
  // a smaller table, at most 3/8 full so it neither grows nor shrinks again soon.
  if (size_ == 0 || (capacity_ > kMinCapacity && size_ * 8 < capacity_)) {
    try {
      rehash(size_ == 0 ? 0 : capacity_for(2 * size_));
    } catch (const std::bad_alloc&) {
      // The larger table stays: it is correct, only bigger than it needs to be.
    }
  }
  return record;
}

}  // namespace nfsprov::kube
