#include "provisioner/core/quantity.h"

#include <cctype>
#include <limits>
#include <string>

namespace nfsprov::core {
namespace {

using Wide = unsigned __int128;
constexpr Wide kMaxBytes = std::numeric_limits<std::uint64_t>::max();

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw QuantityError("invalid quantity \"" + std::string(text.substr(0, 64)) +
                      "\": " + std::string(why));
}

struct Suffix {
  int binary_shift = 0;  // power of two
  int decimal_exp = 0;   // power of ten
};

Suffix parse_suffix(std::string_view text, std::string_view suffix) {
  struct Named {
    std::string_view name;
    Suffix value;
  };
  static constexpr Named kNamed[] = {
      {"", {0, 0}},    {"Ki", {10, 0}}, {"Mi", {20, 0}}, {"Gi", {30, 0}},
      {"Ti", {40, 0}}, {"Pi", {50, 0}}, {"Ei", {60, 0}}, {"n", {0, -9}},
      {"u", {0, -6}},  {"m", {0, -3}},  {"k", {0, 3}},   {"M", {0, 6}},
      {"G", {0, 9}},   {"T", {0, 12}},  {"P", {0, 15}},  {"E", {0, 18}},
  };
  for (const auto& named : kNamed) {
    if (named.name == suffix) return named.value;
  }
  if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view exp = suffix.substr(1);
    bool negative = false;
    if (exp[0] == '+' || exp[0] == '-') {
      negative = exp[0] == '-';
      exp.remove_prefix(1);
    }
    if (exp.empty() || exp.size() > 4) fail(text, "bad exponent");
    int value = 0;
    for (char c : exp) {
      if (!std::isdigit(static_cast<unsigned char>(c))) fail(text, "bad exponent");
      value = value * 10 + (c - '0');
    }
    return {0, negative ? -value : value};
  }
  fail(text, "unknown suffix \"" + std::string(suffix.substr(0, 8)) + "\"");
}

}  // namespace

std::uint64_t parse_quantity_bytes(std::string_view text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  std::string digits;  // integer and fraction digits together
  int fraction_digits = 0;
  bool seen_point = false;
  std::size_t i = 0;
  for (; i < rest.size(); ++i) {
    char c = rest[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
      if (seen_point) ++fraction_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digits.empty()) fail(text, "no digits");
  Suffix suffix = parse_suffix(text, rest.substr(i));

  int exp10 = suffix.decimal_exp - fraction_digits;
  // Trailing zeros move into the exponent, leading zeros carry nothing.
  while (!digits.empty() && digits.back() == '0') {
    digits.pop_back();
    ++exp10;
  }
  std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return 0;
  digits.erase(0, first);
  if (negative) fail(text, "negative");
  if (digits.size() > 36) fail(text, "too many digits");

  Wide value = 0;
  for (char c : digits) value = value * 10 + static_cast<Wide>(c - '0');
  for (int s = 0; s < suffix.binary_shift; ++s) {
    value <<= 1;
    if (value > kMaxBytes && exp10 >= 0) fail(text, "larger than 2^64-1 bytes");
    if (value >> 120) fail(text, "larger than 2^64-1 bytes");
  }
  if (exp10 >= 0) {
    for (int e = 0; e < exp10; ++e) {
      value *= 10;
      if (value > kMaxBytes) fail(text, "larger than 2^64-1 bytes");
    }
  } else {
    // Round up to a whole byte, as Quantity.Value() does.
    Wide divisor = 1;
    for (int e = 0; e < -exp10; ++e) {
      if (divisor > value) return 1;  // a positive fraction of one byte
      divisor *= 10;
    }
    value = value / divisor + (value % divisor != 0 ? 1 : 0);
  }
  if (value > kMaxBytes) fail(text, "larger than 2^64-1 bytes");
  return static_cast<std::uint64_t>(value);
}

}  // namespace nfsprov::core
