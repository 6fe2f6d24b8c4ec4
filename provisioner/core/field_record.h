// The byte layout of the informers' compact records (cache_records.h): a tag byte, a byte of
// flags, then a fixed number of fields, each as its length (one byte below 0x80, else two:
// 0x80 | high bits, low byte) and its bytes. Any byte may be in a field; a record is read back
// only when its tag, its flags and its length all agree. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace nfsprov::core {

// The longest field a record holds (two length bytes).
inline constexpr std::size_t kMaxRecordField = 0x7FFF;

// The record of values, or nothing when one is longer than kMaxRecordField.
std::optional<std::string> write_field_record(char tag, std::uint8_t flags,
                                              std::span<const std::string> values);

// Fills fields (views into record) and returns the flags when record is one of tag with
// exactly fields.size() fields and no flag outside known_flags; nothing otherwise.
std::optional<std::uint8_t> read_field_record(std::string_view record, char tag,
                                              std::uint8_t known_flags,
                                              std::span<std::string_view> fields);

}  // namespace nfsprov::core
