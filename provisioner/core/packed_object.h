// A cached API object as one string, for the informers' caches: MessagePack, with the keys
// and values every claim and volume repeats ("metadata", "storageClassName",
// "pv.kubernetes.io/bind-completed", "ReadWriteMany", ...) written as one-byte codes. A
// claim or a PersistentVolume held as a JSON tree costs about 4 KiB of heap (a map node per
// field); packed, a few hundred bytes in one allocation. Pure.
//
// Lossless for any JSON: unpack_object(pack_object(x)) == x. A code is a one-byte string of
// 0x80..0xFE, which valid UTF-8 never is (and the API speaks only UTF-8); a real string that
// could be taken for one, or for an escaped one, is escaped with a leading 0xFF.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace nfsprov::core {

// The record's first byte: 0xC1, which MessagePack never uses and UTF-8 never starts with, so
// neither another kind of record (a compact claim) nor any API string is taken for a packed
// object.
inline constexpr char kPackedTag = '\xC1';

std::string pack_object(const nlohmann::json& object);
// True for a string pack_object made.
bool is_packed(std::string_view record);
// The object again from what pack_object made (throws nlohmann::json::exception on anything
// else: a record is only ever unpacked after is_packed said yes).
nlohmann::json unpack_object(std::string_view packed);

}  // namespace nfsprov::core
