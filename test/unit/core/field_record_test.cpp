#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>

#include "provisioner/core/field_record.h"

using namespace nfsprov::core;

TEST_CASE("field records: fields of any bytes and lengths come back as written", "[cache]") {
  const std::array<std::string, 4> values{"", std::string("a\0b", 3), std::string(127, 'x'),
                                          std::string(300, '\xFF')};
  const auto record = write_field_record('\xC2', 5, values);
  REQUIRE(record);
  // Tag, flags, a length byte for each field below 0x80 and two above.
  CHECK(record->size() == 2 + 1 + 1 + 1 + 2 + 3 + 127 + 300);
  std::array<std::string_view, 4> fields;
  const auto flags = read_field_record(*record, '\xC2', 7, fields);
  REQUIRE(flags);
  CHECK(*flags == 5);
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(fields[i] == values[i]);
}

TEST_CASE("field records: anything else is refused", "[cache]") {
  const std::array<std::string, 2> values{"name", "value"};
  const std::string record = *write_field_record('\xC2', 1, values);
  std::array<std::string_view, 2> two;
  std::array<std::string_view, 3> three;
  CHECK(read_field_record(record, '\xC2', 1, two));
  CHECK_FALSE(read_field_record(record, '\xC0', 1, two));               // another tag
  CHECK_FALSE(read_field_record(record, '\xC2', 2, two));               // a flag not known
  CHECK_FALSE(read_field_record(record, '\xC2', 1, three));             // fields missing
  CHECK_FALSE(read_field_record(record + "x", '\xC2', 1, two));         // bytes after them
  CHECK_FALSE(read_field_record(record.substr(0, 5), '\xC2', 1, two));  // cut short
  CHECK_FALSE(read_field_record("", '\xC2', 1, two));
  CHECK_FALSE(read_field_record(std::string("\xC2\x01\x85", 3), '\xC2', 1, two));  // half a length
  // A value longer than two length bytes hold is not written.
  const std::array<std::string, 1> too_long{std::string(kMaxRecordField + 1, 'x')};
  CHECK_FALSE(write_field_record('\xC2', 0, too_long));
  const std::array<std::string, 1> longest{std::string(kMaxRecordField, 'x')};
  CHECK(write_field_record('\xC2', 0, longest));
}
