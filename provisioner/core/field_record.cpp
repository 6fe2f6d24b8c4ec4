#include "provisioner/core/field_record.h"

namespace nfsprov::core {

std::optional<std::string> write_field_record(char tag, std::uint8_t flags,
                                              std::span<const std::string> values) {
  std::string record{tag, static_cast<char>(flags)};
  for (const std::string& value : values) {
    if (value.size() > kMaxRecordField) return std::nullopt;
    if (value.size() < 0x80) {
      record += static_cast<char>(value.size());
    } else {
      record += static_cast<char>(0x80 | value.size() >> 8);
      record += static_cast<char>(value.size() & 0xFF);
    }
    record += value;
  }
  record.shrink_to_fit();
  return record;
}

std::optional<std::uint8_t> read_field_record(std::string_view record, char tag,
                                              std::uint8_t known_flags,
                                              std::span<std::string_view> fields) {
  if (record.size() < 2 || record[0] != tag) return std::nullopt;
  const auto flags = static_cast<std::uint8_t>(record[1]);
  if (flags & ~known_flags) return std::nullopt;
  record.remove_prefix(2);
  for (std::string_view& value : fields) {
    if (record.empty()) return std::nullopt;
    std::size_t length = static_cast<std::uint8_t>(record[0]);
    std::size_t head = 1;
    if (length & 0x80) {
      if (record.size() < 2) return std::nullopt;
      length = (length & 0x7F) << 8 | static_cast<std::uint8_t>(record[1]);
      head = 2;
    }
    if (record.size() - head < length) return std::nullopt;
    value = record.substr(head, length);
    record.remove_prefix(head + length);
  }
  if (!record.empty()) return std::nullopt;
  return flags;
}

}  // namespace nfsprov::core
