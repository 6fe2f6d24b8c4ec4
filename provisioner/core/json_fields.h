// Null-safe reads of API objects (base/json_fields.h, under the names the core has always
// used), and the printable form of user text for Events.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "provisioner/base/json_fields.h"

namespace nfsprov::core {

using base::annotation_of;
using base::field;
using base::metadata_field;
using base::string_field;

// User-supplied text fit for an Event: printable ASCII ('?' for the rest), at most max bytes.
std::string printable(std::string_view text, std::size_t max = 120);

}  // namespace nfsprov::core
