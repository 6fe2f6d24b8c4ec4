#include "provisioner/core/uuid_bytes.h"

#include <algorithm>

namespace nfsprov::core {
namespace {

constexpr std::size_t kUuidLength = 36;
constexpr std::array<std::size_t, 4> kUuidDashes = {8, 13, 18, 23};

bool dash_at(std::size_t i) {
  return std::find(kUuidDashes.begin(), kUuidDashes.end(), i) != kUuidDashes.end();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<UuidBytes> uuid_bytes(std::string_view text) {
  if (text.size() != kUuidLength) return std::nullopt;
  UuidBytes bytes{};
  std::size_t out = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (dash_at(i)) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int high = hex_value(text[i]);
    const int low = hex_value(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes[out++] = static_cast<std::uint8_t>(high * 16 + low);
    i += 2;
  }
  return bytes;
}

std::string uuid_text(std::span<const std::uint8_t, 16> bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  text.reserve(kUuidLength);
  for (const std::uint8_t byte : bytes) {
    if (dash_at(text.size())) text += '-';
    text += hex[byte >> 4];
    text += hex[byte & 0xF];
  }
  return text;
}

}  // namespace nfsprov::core
