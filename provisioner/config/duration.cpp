#include "provisioner/config/duration.h"

#include <cctype>
#include <cmath>
#include <stdexcept>

namespace nfsprov::config {

namespace {

double unit_ms(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60'000;
  if (unit == "h") return 3'600'000;
  return -1;
}

std::invalid_argument bad(std::string_view text) {
  return std::invalid_argument("invalid duration \"" + std::string(text) +
                               "\" (use e.g. 500ms, 15s, 1m30s)");
}

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text) {
  if (text.empty()) throw bad(text);
  double total = 0;
  std::size_t i = 0;
  bool bare = true;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (i == start) throw bad(text);
    double value = 0;
    try {
      std::size_t used = 0;
      value = std::stod(std::string(text.substr(start, i - start)), &used);
      if (used != i - start) throw bad(text);
    } catch (const std::logic_error&) {
      throw bad(text);
    }
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      // Only a lone number may omit its unit ("30" = 30 s): "1m30" is a typo, not a time.
      if (!bare || i != text.size()) throw bad(text);
      unit = "s";
    }
    bare = false;
    double factor = unit_ms(unit);
    if (factor < 0) throw bad(text);
    total += value * factor;
  }
  if (!std::isfinite(total) || total > 1e15) throw bad(text);
  return std::chrono::milliseconds(static_cast<long long>(std::llround(total)));
}

std::string format_duration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  long long h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  if (rest) out += std::to_string(rest) + "ms";
  return out;
}

}  // namespace nfsprov::config
