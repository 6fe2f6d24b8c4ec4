// RecordStore: the informer's cache, each object's record (InformerTransform) under its key
// ("namespace/name", or "name"), both in one string "key\0record" of an ordered set. A map of
// two strings costs an allocation and 32 bytes more per entry, and a JSON value wrapping the
// record one more: at 50,000 claims, about 6 MiB. Keys never hold a NUL (Kubernetes names
// are DNS names); records may hold any byte.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace nfsprov::kube {

class RecordStore {
 public:
  // The record kept under key, valid until the store changes.
  std::optional<std::string_view> find(std::string_view key) const;
  // Keeps record under key, in place of any record there.
  void put(std::string_view key, std::string_view record);
  // Removes key's entry, giving its record back (nothing when there was none).
  std::optional<std::string> take(std::string_view key);
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // fn(key, record) for every entry, in key order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const std::string& entry : entries_) fn(key_of(entry), record_of(entry));
  }

 private:
  static std::string_view key_of(std::string_view entry) {
    return entry.substr(0, entry.find('\0'));
  }
  static std::string_view record_of(std::string_view entry) {
    const auto end = entry.find('\0');
    return end == std::string_view::npos ? std::string_view() : entry.substr(end + 1);
  }
  // Orders entries, and a bare key among them, by key alone.
  struct KeyOrder {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return key_of(a) < key_of(b); }
  };

  std::set<std::string, KeyOrder> entries_;
};

}  // namespace nfsprov::kube
