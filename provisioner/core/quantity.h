// Kubernetes resource quantities ("1Gi", "500M", "1e3", "1.5Gi") as a byte count, to validate
// a claim's storage request. The PV keeps the string the claim gave, never a re-rendering.
#pragma once

#include <cstdint>
#include <string_view>

#include "provisioner/core/refusal.h"

namespace nfsprov::core {

// Bytes, rounded up to a whole byte as resource.Quantity.Value() does ("1.5" -> 2, "100m" -> 1).
// Accepts an optional sign, digits with at most one '.', then one suffix: binary
// Ki Mi Gi Ti Pi Ei, decimal n u m k M G T P E, or an exponent e/E<int>.
// A Refusal (reason "InvalidQuantity", message 'invalid quantity "<text>": <why>') when the
// text is not a quantity, is negative, or exceeds 2^64-1 bytes.
Outcome<std::uint64_t> parse_quantity_bytes(std::string_view text);

}  // namespace nfsprov::core
