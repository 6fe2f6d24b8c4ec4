// RecordStore: the informer's cache, each object's record (InformerTransform) under its key
// ("namespace/name", or "name"). At 50,000 claims of another provisioner this store is most
// of what the provisioner holds, so an entry is one heap block, [key size][record size][key]
// [record], and the table only points at it: open addressing, linear probing, a power of two
// of 8-byte slots, 3/8 to 3/4 of them used as it grows (11 to 21 bytes per entry). An
// ordered set of "key\0record" strings cost an 80-byte tree node per entry beside the block.
// Deletion shifts the entries after the hole back rather than leaving tombstones, and the
// table shrinks when it is mostly empty, so a relist that drops most objects gives their
// memory back. Keys never hold a NUL (Kubernetes names are DNS names); records may hold any
// byte. No caller needs the entries in key order (the controller's passes each take every
// entry; the informer's handlers only queue keys), so for_each gives them in the table's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace nfsprov::kube {

class RecordStore {
 public:
  RecordStore() = default;
  // Moved, never copied: a copy of a cache of 50,000 records is a mistake. The store moved
  // from is left empty.
  RecordStore(RecordStore&& other) noexcept;
  RecordStore& operator=(RecordStore&& other) noexcept;
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;
  ~RecordStore() = default;

  // The record kept under key, valid until the store changes.
  std::optional<std::string_view> find(std::string_view key) const;
  // Keeps record under key, in place of any record there.
  void put(std::string_view key, std::string_view record);
  // Removes key's entry, giving its record back (nothing when there was none).
  std::optional<std::string> take(std::string_view key);
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Slots in the table (a power of two, or 0 when empty), for tests of its growth and shrink.
  std::size_t capacity() const { return capacity_; }

  // fn(key, record) for every entry, in no particular order; fn must not change the store.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < capacity_; ++i)
      if (const char* entry = slots_[i].get()) fn(key_of(entry), record_of(entry));
  }

 private:
  // An entry's block: its two sizes, then the key's bytes, then the record's.
  using Entry = std::unique_ptr<char[]>;
  static constexpr std::size_t kHeader = 2 * sizeof(std::uint32_t);

  static std::uint32_t size_at(const char* entry, std::size_t offset) {
    std::uint32_t size = 0;
    std::memcpy(&size, entry + offset, sizeof size);
    return size;
  }
  static std::string_view key_of(const char* entry) { return {entry + kHeader, size_at(entry, 0)}; }
  static std::string_view record_of(const char* entry) {
    return {entry + kHeader + size_at(entry, 0), size_at(entry, sizeof(std::uint32_t))};
  }
  static Entry make_entry(std::string_view key, std::string_view record);

  std::size_t home_of(std::string_view key) const;
  // The slot holding key, or else the empty slot where it would go (the table is never full).
  std::size_t slot_of(std::string_view key) const;
  // Moves every entry into a table of capacity slots (a power of two above size_, or 0).
  void rehash(std::size_t capacity);

  std::unique_ptr<Entry[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace nfsprov::kube
