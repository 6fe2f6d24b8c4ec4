// Durations on the command line as Go programs write them ("15s", "500ms", "1m30s"), so the
// flags read like the ones users know from client-go based provisioners.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace nfsprov::config {

// "1h2m3s4ms", "250ms", "2.5s"; a bare number means seconds. Throws std::invalid_argument
// with a message naming the text.
std::chrono::milliseconds parse_duration(std::string_view text);
// The shortest Go-style spelling: "15s", "1m30s", "250ms", "0s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace nfsprov::config
