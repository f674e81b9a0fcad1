// cql::format_value(..., format_style::cql) gives literals that the store's own literal parser
// turns back into the very bytes formatted, for every type.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>

#include "cql/values.h"
#include "parser/parser.h"
#include "store/literals.h"

namespace sluice::store {
namespace {

using b = std::vector<uint8_t>;
using namespace cql;

// Formats `v` as a CQL literal, parses it as the value of an INSERT and converts it back.
void round_trip(std::string_view type_name, const b& v) {
  const data_type type = *data_type::parse(type_name);
  const std::string literal = format_value(type, v, format_style::cql);
  auto s = parser::parse(fmt::format("INSERT INTO t (c) VALUES ({})", literal));
  ASSERT_TRUE(s) << type_name << " " << literal << ": " << s.error().message;
  auto back = literal_value(std::get<parser::insert>(s->body).values[0], type, "c");
  ASSERT_TRUE(back) << type_name << " " << literal << ": " << back.error().message;
  EXPECT_EQ(*back, v) << type_name << " " << literal;
}

constexpr auto i64_min = std::numeric_limits<int64_t>::min();
constexpr auto i64_max = std::numeric_limits<int64_t>::max();
constexpr auto i32_min = std::numeric_limits<int32_t>::min();
constexpr auto i32_max = std::numeric_limits<int32_t>::max();

TEST(FormatRoundTrip, Text) {
  for (std::string_view s : {"", "plain", "it's", "''", "héllo ✓", "two\nlines\ttab", "a\\b", "$$",
                             "-- not a comment", "0x00", "\x01"}) {
    round_trip("text", encode_text(s));
    round_trip("varchar", encode_text(s));
  }
  round_trip("ascii", encode_ascii("it's ascii"));
  round_trip("ascii", encode_ascii(""));
}

TEST(FormatRoundTrip, Integers) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, i64_min, i64_max}) {
    round_trip("bigint", encode_bigint(v));
    round_trip("counter", encode_counter(v));
  }
  for (int32_t v : {0, -1, i32_min, i32_max}) round_trip("int", encode_int(v));
  for (int16_t v : {0, -1, -32768, 32767}) round_trip("smallint", encode_smallint(v));
  for (int8_t v : {0, -1, -128, 127}) round_trip("tinyint", encode_tinyint(v));
}

TEST(FormatRoundTrip, Varints) {
  for (int64_t v :
       {int64_t{0}, int64_t{-1}, int64_t{127}, int64_t{128}, int64_t{-129}, i64_min, i64_max}) {
    round_trip("varint", encode_varint(v));
  }
  for (std::string_view s :
       {"18446744073709551616", "-9223372036854775809", "-170141183460469231731687303715884105728",
        "123456789012345678901234567890123456789012345678901234567890"}) {
    round_trip("varint", *encode_varint(s));
  }
}

TEST(FormatRoundTrip, Decimals) {
  for (std::string_view s :
       {"0", "-0", "-12.3450", "1.50", "0.000005", "0.0000001", "1E-7", "-1.23E-10", "1.2E+4",
        "12e3", "0E+2", "0.00", "123456789012345678901234567890.123456789",
        "-98765432109876543210987654321", "5E-2147483647", "5E+2147483648",
        "1.234567890123456789E+2147483656"}) {
    round_trip("decimal", *encode_decimal(s));
  }
  round_trip("decimal", encode_decimal(i64_min, i32_min));
  round_trip("decimal", encode_decimal(i64_max, i32_max));
}

TEST(FormatRoundTrip, Booleans) {
  round_trip("boolean", encode_boolean(true));
  round_trip("boolean", encode_boolean(false));
}

TEST(FormatRoundTrip, Floats) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  for (double d : {0.0, -0.0, 0.1, -1.5, 1e300, -1e-300, 5e-324, 2.2250738585072014e-308, inf, -inf,
                   std::numeric_limits<double>::max(), std::numeric_limits<double>::quiet_NaN(),
                   123456789012345680.0, 1e16, 1e15, 0.3}) {
    round_trip("double", encode_double(d));
  }
  constexpr float finf = std::numeric_limits<float>::infinity();
  for (float f : {0.0f, -0.0f, 0.1f, -1.5f, 3.4028235e38f, 1e-45f, 1.17549435e-38f, finf, -finf,
                  std::numeric_limits<float>::quiet_NaN(), 16777217.0f, 0.3f,
                  std::bit_cast<float>(0x15ae43fdu), std::bit_cast<float>(0x95ae43fdu)}) {
    round_trip("float", encode_float(f));
  }
  // Random bit patterns: the shortest text of each float and double gives back its bits (NaN
  // payloads aside).
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20'000; ++i) {
    const uint64_t bits = rng();
    const double d = std::bit_cast<double>(bits);
    const float f = std::bit_cast<float>(static_cast<uint32_t>(bits));
    if (!std::isnan(d)) round_trip("double", encode_double(d));
    if (!std::isnan(f)) round_trip("float", encode_float(f));
    if (HasFailure()) break;
  }
}

TEST(FormatRoundTrip, Temporal) {
  for (int64_t ms : {int64_t{0}, int64_t{-1}, int64_t{1706704496789}, int64_t{-62135596800000},
                     int64_t{-62135596800001}, int64_t{253402300799999}, int64_t{253402300800000},
                     int64_t{-86'400'000} * 365 * 300, i64_min, i64_max}) {
    round_trip("timestamp", encode_timestamp(ms));
  }
  for (int32_t d : {0, -1, 1, 19753, -719162, -719163, 2932896, 2932897, i32_min, i32_max}) {
    round_trip("date", encode_date(d));
  }
  for (int64_t ns :
       {int64_t{0}, int64_t{1}, int64_t{45'296'123'456'789}, int64_t{86'399'999'999'999}}) {
    round_trip("time", encode_time(ns));
  }
}

TEST(FormatRoundTrip, UuidsBlobsInets) {
  round_trip("uuid", encode_uuid(*parse_uuid("123e4567-e89b-42d3-a456-426614174000")));
  round_trip("uuid", encode_uuid(uuid{}));
  round_trip("timeuuid", encode_timeuuid(*parse_uuid("123e4567-e89b-12d3-a456-426614174000")));
  round_trip("blob", b{});
  round_trip("blob", b{0x00, 0xca, 0xfe, 0xff});
  round_trip("inet", *encode_inet(b{10, 0, 0, 1}));
  round_trip("inet", *encode_inet(b{255, 255, 255, 255}));
  b v6(16);
  round_trip("inet", *encode_inet(v6));
  v6[15] = 1;
  round_trip("inet", *encode_inet(v6));
  v6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04};
  round_trip("inet", *encode_inet(v6));
  v6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04};  // IPv4-mapped
  round_trip("inet", *encode_inet(v6));
}

// Sets and maps in the order the store keeps them (sorted, no duplicates), so that the bytes
// compare equal.
TEST(FormatRoundTrip, Collections) {
  round_trip("list<int>", encode_list({}));
  round_trip("set<int>", encode_set({}));
  round_trip("map<text, int>", encode_map({}));
  round_trip("list<int>", encode_list({encode_int(3), encode_int(1), encode_int(3)}));
  round_trip("list<text>", encode_list({encode_text("it's"), encode_text(""), encode_text("é")}));
  round_trip("set<text>", encode_set({encode_text("a'b"), encode_text("b")}));
  round_trip("set<int>", encode_set({encode_int(i32_min), encode_int(0), encode_int(i32_max)}));
  round_trip("set<double>", encode_set({encode_double(-1.5), encode_double(0.1)}));
  round_trip("set<boolean>", encode_set({encode_boolean(false), encode_boolean(true)}));
  round_trip("set<timestamp>", encode_set({encode_timestamp(i64_min), encode_timestamp(-1),
                                           encode_timestamp(1706704496789)}));
  round_trip("list<date>", encode_list({encode_date(i32_min), encode_date(19753)}));
  round_trip("list<time>", encode_list({encode_time(1)}));
  round_trip("list<decimal>", encode_list({*encode_decimal("-12.3450"), *encode_decimal("1E+9")}));
  round_trip("list<varint>", encode_list({*encode_varint("-18446744073709551616")}));
  round_trip("list<blob>", encode_list({b{}, b{1, 2}}));
  round_trip("list<inet>", encode_list({*encode_inet(b{1, 2, 3, 4})}));
  round_trip("list<float>", encode_list({encode_float(std::numeric_limits<float>::infinity())}));
  round_trip("list<ascii>", encode_list({encode_ascii("x")}));
  round_trip("list<uuid>", encode_list({encode_uuid(uuid{})}));
  round_trip("map<text, int>",
             encode_map({{encode_text("a"), encode_int(1)}, {encode_text("b'"), encode_int(-2)}}));
  round_trip("map<int, text>", encode_map({{encode_int(-1), encode_text("x")}}));
  round_trip("map<timeuuid, date>",
             encode_map({{encode_timeuuid(*parse_uuid("123e4567-e89b-12d3-a456-426614174000")),
                          encode_date(-1)}}));
  round_trip("map<bigint, timestamp>", encode_map({{encode_bigint(1), encode_timestamp(0)}}));
  round_trip("list<frozen<list<int>>>",
             encode_list({encode_list({encode_int(1), encode_int(2)}), encode_list({})}));
  round_trip("map<text, frozen<list<text>>>",
             encode_map({{encode_text("k"), encode_list({encode_text("v'")})}}));
}

}  // namespace
}  // namespace sluice::store
