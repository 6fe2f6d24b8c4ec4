#include "provisioner/core/quantity.h"

#include <cctype>
#include <string>

namespace nfsprov::core {
namespace {

// The 128-bit unsigned arithmetic parsing needs (36 digits, shifts, tenfold steps). Not
// unsigned __int128: GCC has none on 32-bit ARM (armhf), one of our targets.
struct Wide {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  bool above_u64() const { return hi != 0; }
  bool above_120_bits() const { return (hi >> 56) != 0; }
  bool is_zero() const { return hi == 0 && lo == 0; }

  void add(const Wide& other) {
    const std::uint64_t before = lo;
    lo += other.lo;
    hi += other.hi + (lo < before ? 1 : 0);
  }
  Wide shifted_left(int bits) const {  // 0 < bits < 64
    return {(hi << bits) | (lo >> (64 - bits)), lo << bits};
  }
  void times_ten() {
    Wide eight = shifted_left(3);
    *this = shifted_left(1);
    add(eight);
  }
  // Divides by ten in place and returns the remainder (long division in 32-bit limbs).
  unsigned divide_by_ten() {
    std::uint64_t rem = hi % 10;
    hi /= 10;
    std::uint64_t upper = (rem << 32) | (lo >> 32);
    rem = upper % 10;
    std::uint64_t lower = (rem << 32) | (lo & 0xffffffffu);
    lo = ((upper / 10) << 32) | (lower / 10);
    return static_cast<unsigned>(lower % 10);
  }
};

Refusal invalid(std::string_view text, std::string_view why) {
  return Refusal{"InvalidQuantity", "invalid quantity \"" + std::string(text.substr(0, 64)) +
                                        "\": " + std::string(why)};
}

struct Suffix {
  int binary_shift = 0;  // power of two
  int decimal_exp = 0;   // power of ten
};

Outcome<Suffix> parse_suffix(std::string_view text, std::string_view suffix) {
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
    if (exp.empty() || exp.size() > 4) return invalid(text, "bad exponent");
    int value = 0;
    for (char c : exp) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return invalid(text, "bad exponent");
      value = value * 10 + (c - '0');
    }
    return Suffix{0, negative ? -value : value};
  }
  return invalid(text, "unknown suffix \"" + std::string(suffix.substr(0, 8)) + "\"");
}

}  // namespace

Outcome<std::uint64_t> parse_quantity_bytes(std::string_view text) {
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
  if (digits.empty()) return invalid(text, "no digits");
  const auto parsed_suffix = parse_suffix(text, rest.substr(i));
  if (const auto* refusal = std::get_if<Refusal>(&parsed_suffix)) return *refusal;
  const Suffix suffix = std::get<Suffix>(parsed_suffix);

  int exp10 = suffix.decimal_exp - fraction_digits;
  // Trailing zeros move into the exponent, leading zeros carry nothing.
  while (!digits.empty() && digits.back() == '0') {
    digits.pop_back();
    ++exp10;
  }
  std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return std::uint64_t{0};
  digits.erase(0, first);
  if (negative) return invalid(text, "negative");
  if (digits.size() > 36) return invalid(text, "too many digits");

  Wide value;
  for (char c : digits) {
    value.times_ten();
    value.add(Wide{0, static_cast<std::uint64_t>(c - '0')});
  }
  for (int s = 0; s < suffix.binary_shift; ++s) {
    value = value.shifted_left(1);
    if (value.above_u64() && exp10 >= 0) return invalid(text, "larger than 2^64-1 bytes");
    if (value.above_120_bits()) return invalid(text, "larger than 2^64-1 bytes");
  }
  if (exp10 >= 0) {
    for (int e = 0; e < exp10; ++e) {
      value.times_ten();
      if (value.above_u64()) return invalid(text, "larger than 2^64-1 bytes");
    }
  } else {
    // Round up to a whole byte, as Quantity.Value() does: ceil(v / 10^k) is the floor plus one
    // when any dropped digit was non-zero.
    bool dropped_nonzero = false;
    for (int e = 0; e < -exp10 && !value.is_zero(); ++e) {
      dropped_nonzero = value.divide_by_ten() != 0 || dropped_nonzero;
    }
    if (dropped_nonzero) value.add(Wide{0, 1});
  }
  if (value.above_u64()) return invalid(text, "larger than 2^64-1 bytes");
  return value.lo;
}

}  // namespace nfsprov::core
