#include "provisioner/base/text.h"

#include <cstdio>
#include <random>

namespace nfsprov::base {

std::optional<bool> parse_go_bool(std::string_view text) {
  for (std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"})
    if (text == yes) return true;
  for (std::string_view no : {"0", "f", "F", "FALSE", "false", "False"})
    if (text == no) return false;
  return std::nullopt;
}

std::string utc_timestamp(std::chrono::system_clock::time_point when, int fraction_digits) {
  using namespace std::chrono;
  const auto micros = floor<microseconds>(when);
  const auto day = floor<days>(micros);
  const year_month_day date{day};
  const hh_mm_ss time{micros - day};
  char text[64];
  int n = std::snprintf(
      text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d", int(date.year()), unsigned(date.month()),
      unsigned(date.day()), static_cast<int>(time.hours().count()),
      static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  const auto fraction = static_cast<long long>(time.subseconds().count());  // microseconds
  if (fraction_digits == 3)
    n += std::snprintf(text + n, sizeof text - n, ".%03lld", fraction / 1000);
  else if (fraction_digits == 6)
    n += std::snprintf(text + n, sizeof text - n, ".%06lld", fraction);
  std::snprintf(text + n, sizeof text - n, "Z");
  return text;
}

std::string random_hex(std::size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  std::string out;
  out.reserve(digits);
  for (std::size_t i = 0; i < digits; ++i) out.push_back(kHex[nibble(random)]);
  return out;
}

}  // namespace nfsprov::base
