// A canonical UUID (lowercase hex with four dashes, as Kubernetes writes every uid) as its 16
// bytes, and back: how the caches keep the uids that are most of what is left of a claim or a
// volume once the rest is packed. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace nfsprov::core {

using UuidBytes = std::array<std::uint8_t, 16>;

// The 16 bytes of a canonical UUID; nothing for anything else (uppercase too: it would not
// come back the same).
std::optional<UuidBytes> uuid_bytes(std::string_view text);
// The canonical text of 16 bytes.
std::string uuid_text(std::span<const std::uint8_t, 16> bytes);

}  // namespace nfsprov::core
