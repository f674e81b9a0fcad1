#include "cql/values.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

namespace sluice::cql {
namespace {

using b = std::vector<uint8_t>;

data_type type(std::string_view name) { return *data_type::parse(name); }

std::string cql(std::string_view t, const b& v) {
  return format_value(type(t), v, format_style::cql);
}
std::string display(std::string_view t, const b& v) {
  return format_value(type(t), v, format_style::display);
}

template <class T>
bool invalid_value(const result<T>& r) {
  return !r && is(r.error(), errc::invalid_value);
}

TEST(Values, Integers) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(*decode_bigint(encode_bigint(v)), v);
    EXPECT_EQ(*decode_counter(encode_counter(v)), v);
    EXPECT_EQ(*decode_timestamp(encode_timestamp(v)), v);
  }
  for (int32_t v :
       {0, -2, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()})
    EXPECT_EQ(*decode_int(encode_int(v)), v);
  for (int16_t v : {int16_t{0}, int16_t{-32768}, int16_t{32767}})
    EXPECT_EQ(*decode_smallint(encode_smallint(v)), v);
  for (int8_t v : {int8_t{0}, int8_t{-128}, int8_t{127}})
    EXPECT_EQ(*decode_tinyint(encode_tinyint(v)), v);
  EXPECT_EQ(encode_int(-2), (b{0xff, 0xff, 0xff, 0xfe}));
  EXPECT_EQ(encode_bigint(1), (b{0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(encode_smallint(0x1234), (b{0x12, 0x34}));
  EXPECT_TRUE(invalid_value(decode_int(b{1, 2, 3})));
  EXPECT_TRUE(invalid_value(decode_bigint(b{})));
  EXPECT_TRUE(invalid_value(decode_smallint(b{1})));
  EXPECT_TRUE(invalid_value(decode_tinyint(b{1, 2})));
}

TEST(Values, BooleansAndFloats) {
  EXPECT_EQ(encode_boolean(true), b{1});
  EXPECT_TRUE(*decode_boolean(b{1}));
  EXPECT_TRUE(*decode_boolean(b{7}));
  EXPECT_FALSE(*decode_boolean(encode_boolean(false)));
  EXPECT_TRUE(invalid_value(decode_boolean(b{})));
  for (double d : {0.0, -0.0, 1.5, -1e308, 5e-324, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::max()}) {
    EXPECT_EQ(std::bit_cast<uint64_t>(*decode_double(encode_double(d))),
              std::bit_cast<uint64_t>(d));
  }
  for (float f : {0.0f, -0.0f, 0.1f, -3.4e38f, 1e-45f, std::numeric_limits<float>::infinity()}) {
    EXPECT_EQ(std::bit_cast<uint32_t>(*decode_float(encode_float(f))), std::bit_cast<uint32_t>(f));
  }
  EXPECT_TRUE(std::isnan(*decode_double(encode_double(std::nan("")))));
  EXPECT_TRUE(std::isnan(*decode_float(encode_float(std::nanf("")))));
  EXPECT_EQ(encode_double(1.5), (b{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_float(-INFINITY), (b{0xff, 0x80, 0, 0}));
  EXPECT_TRUE(invalid_value(decode_float(b{0, 0, 0, 0, 0})));
  EXPECT_TRUE(invalid_value(decode_double(b{0, 0, 0, 0})));
}

TEST(Values, DatesAndTimes) {
  EXPECT_EQ(encode_date(0), (b{0x80, 0, 0, 0}));
  EXPECT_EQ(encode_date(-1), (b{0x7f, 0xff, 0xff, 0xff}));
  EXPECT_EQ(encode_date(std::numeric_limits<int32_t>::min()), (b{0, 0, 0, 0}));
  EXPECT_EQ(encode_date(std::numeric_limits<int32_t>::max()), (b{0xff, 0xff, 0xff, 0xff}));
  for (int32_t d : {0, -1, -719162, 19753, std::numeric_limits<int32_t>::min(),
                    std::numeric_limits<int32_t>::max()}) {
    EXPECT_EQ(*decode_date(encode_date(d)), d);
  }
  EXPECT_EQ(*decode_time(encode_time(0)), 0);
  EXPECT_EQ(*decode_time(encode_time(86'399'999'999'999)), 86'399'999'999'999);
  EXPECT_TRUE(invalid_value(decode_time(encode_time(-1))));
  EXPECT_TRUE(invalid_value(decode_time(encode_time(86'400'000'000'000))));
  EXPECT_TRUE(invalid_value(decode_date(b{0, 0})));
}

TEST(Values, TextFormsOfDates) {
  EXPECT_EQ(*parse_date("1970-01-01"), 0);
  EXPECT_EQ(*parse_date("1969-12-31"), -1);
  EXPECT_EQ(*parse_date("2024-01-01"), 19723);
  EXPECT_EQ(*parse_date("2000-02-29"), 11016);
  EXPECT_EQ(*parse_date("0001-01-01"), -719162);
  EXPECT_EQ(*parse_date("-0001-12-31"), -719162 - 366 - 1);  // year 0 is a leap year
  // Years beyond what std::chrono::year holds keep their own day, rather than wrapping.
  EXPECT_EQ(*parse_date("67560-01-01"), 23'956'255);
  EXPECT_NE(*parse_date("67560-01-01"), *parse_date("2024-01-01"));
  EXPECT_EQ(*parse_timestamp("201500-06-01"), int64_t{72'876'987} * 86'400'000);
  EXPECT_TRUE(invalid_value(parse_date("5881580-07-12")));  // beyond a date's 32 bits
  for (const char* bad : {"2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31",
                          "2024-01-00", "2024-1", "", "x"}) {
    EXPECT_TRUE(invalid_value(parse_date(bad))) << bad;
  }
  EXPECT_EQ(*parse_timestamp("2016-08-15T03:51:52.468Z"), 1'471'233'112'468);
  EXPECT_EQ(*parse_timestamp("2016-08-15 05:51:52.468+02:00"), 1'471'233'112'468);
  EXPECT_TRUE(invalid_value(parse_timestamp("2016-08-15T03:51:52+9999")));
  EXPECT_TRUE(invalid_value(parse_timestamp("999999999-12-31T23:59:59Z")));  // beyond 64 bits
  EXPECT_TRUE(invalid_value(parse_timestamp("-999999999-01-01")));
}

TEST(Values, UuidsInetsBlobsText) {
  const auto u = *parse_uuid("123E4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(format_uuid(u), "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(*decode_uuid(encode_uuid(u)), u);
  EXPECT_EQ(*decode_timeuuid(encode_timeuuid(u)), u);
  const auto v4 = *parse_uuid("123e4567-e89b-42d3-a456-426614174000");
  EXPECT_TRUE(invalid_value(decode_timeuuid(encode_uuid(v4))));
  EXPECT_TRUE(invalid_value(parse_uuid("123e4567e89b12d3a456426614174000")));
  EXPECT_TRUE(invalid_value(parse_uuid("123e4567-e89b-12d3-a456-42661417400g")));
  EXPECT_TRUE(invalid_value(parse_uuid("123e4567-e89b-12d3-a456-4266141740000")));
  EXPECT_TRUE(invalid_value(decode_uuid(b(15))));

  EXPECT_EQ(*encode_inet(b{10, 0, 0, 1}), (b{10, 0, 0, 1}));
  EXPECT_EQ(encode_inet(b(16)).value().size(), 16u);
  EXPECT_TRUE(invalid_value(encode_inet(b(5))));
  EXPECT_EQ(decode_inet(b{10, 0, 0, 1})->size(), 4u);
  EXPECT_TRUE(invalid_value(decode_inet(b{})));

  EXPECT_EQ(encode_blob(b{1, 2}), (b{1, 2}));
  EXPECT_EQ(*decode_text(encode_text("héllo")), "héllo");
  EXPECT_EQ(*decode_ascii(encode_ascii("hi")), "hi");
  EXPECT_TRUE(invalid_value(decode_ascii(encode_ascii("é"))));
  EXPECT_TRUE(invalid_value(decode_text(b{0xff})));
  EXPECT_TRUE(invalid_value(encode_text_checked("\xc3")));
  EXPECT_EQ(*encode_text_checked("ok"), (b{'o', 'k'}));
}

TEST(Values, Varints) {
  EXPECT_EQ(encode_varint(int64_t{0}), b{0});
  EXPECT_EQ(encode_varint(int64_t{-129}), (b{0xff, 0x7f}));
  EXPECT_EQ(encode_varint(int64_t{128}), (b{0x00, 0x80}));
  EXPECT_EQ(encode_varint(int64_t{-128}), b{0x80});
  EXPECT_EQ(*encode_varint("18446744073709551616"), (b{0x01, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(*encode_varint("+42"), b{42});
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{255}, int64_t{-256},
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(*encode_varint(std::to_string(v)), encode_varint(v)) << v;
    EXPECT_EQ(*decode_varint_int64(encode_varint(v)), v);
    EXPECT_EQ(*decode_varint(encode_varint(v)), std::to_string(v));
  }
  for (std::string_view s :
       {"9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "-170141183460469231731687303715884105728", "123456789012345678901234567890123456789",
        "-1000000000000000000000000000000000000000000000000000000000000"}) {
    EXPECT_EQ(*decode_varint(*encode_varint(s)), s);
    EXPECT_TRUE(invalid_value(decode_varint_int64(*encode_varint(s)))) << s;
  }
  EXPECT_EQ(*decode_varint_int64(b{0xff, 0xff, 0x80}), -128) << "redundant sign bytes";
  EXPECT_EQ(*decode_varint(b{0, 0, 5}), "5");
  EXPECT_TRUE(invalid_value(encode_varint("")));
  EXPECT_TRUE(invalid_value(encode_varint("-")));
  EXPECT_TRUE(invalid_value(encode_varint("12a")));
  EXPECT_TRUE(invalid_value(decode_varint(b{})));
}

TEST(Values, Decimals) {
  EXPECT_EQ(*encode_decimal("-12.5e-3"), (b{0, 0, 0, 4, 0x83}));  // -125 x 10^-4
  EXPECT_EQ(*encode_decimal("100"), (b{0, 0, 0, 0, 0x64}));
  EXPECT_EQ(*encode_decimal("-12.3450"), encode_decimal(-123450, 4));
  EXPECT_EQ(*encode_decimal("1.2E+4"), encode_decimal(12, -3));
  EXPECT_EQ(*encode_decimal(".5"), encode_decimal(5, 1));
  for (std::string_view s :
       {"0", "-12.3450", "1.50", "0.000005", "1E-7", "-1.23E-10", "1.2E+4", "0E+2", "0.00",
        "123456789012345678901234567890.123456789", "-98765432109876543210987654321",
        "5E-2147483647", "5E+2147483648", "1.234567890123456789E+2147483656"}) {
    EXPECT_EQ(*decode_decimal(*encode_decimal(s)), s);
  }
  EXPECT_EQ(*decode_decimal(*encode_decimal("12e3")), "1.2E+4");
  EXPECT_EQ(*decode_decimal(*encode_decimal("0.0000001")), "1E-7");
  EXPECT_EQ(*decode_decimal(encode_decimal(std::numeric_limits<int64_t>::min(), 3)),
            "-9223372036854775.808");
  EXPECT_TRUE(invalid_value(encode_decimal("1.2.3")));
  EXPECT_TRUE(invalid_value(encode_decimal("1e")));
  EXPECT_TRUE(invalid_value(encode_decimal("e5")));
  EXPECT_TRUE(invalid_value(encode_decimal("1E-2147483649")));
  EXPECT_TRUE(invalid_value(decode_decimal(b{0, 0, 0, 1})));
}

TEST(Values, Collections) {
  const b list = encode_list({encode_int(1), encode_int(2)});
  EXPECT_EQ(list, (b{0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 2}));
  auto items = *decode_list(list);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(*decode_int(items[1]), 2);
  EXPECT_EQ(encode_set({encode_int(1), encode_int(2)}), list);
  EXPECT_EQ(decode_set(encode_set({}))->size(), 0u);
  const b map = encode_map({{encode_text("a"), encode_int(1)}, {encode_text("b"), encode_int(2)}});
  auto entries = *decode_map(map);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(*decode_text(entries[1].first), "b");
  EXPECT_EQ(*decode_int(entries[1].second), 2);
  EXPECT_TRUE(invalid_value(decode_list(b{0, 0, 0, 1})));
  EXPECT_TRUE(invalid_value(decode_list(b{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})));  // null
  EXPECT_TRUE(invalid_value(decode_list(b{0x7f, 0xff, 0xff, 0xff})));
  EXPECT_TRUE(invalid_value(decode_map(b{0, 0, 0, 0, 1})));
  EXPECT_TRUE(invalid_value(decode_map(list)));
}

TEST(Values, FormatScalars) {
  EXPECT_EQ(cql("text", encode_text("it's")), "'it''s'");
  EXPECT_EQ(display("text", encode_text("it's")), "it's");
  EXPECT_EQ(cql("text", encode_text("")), "''");
  EXPECT_EQ(display("text", encode_text("a\\b\nc\x01")), "a\\\\b\\nc\\x01");
  EXPECT_EQ(cql("text", encode_text("a\\b\nc")), "'a\\b\nc'");
  EXPECT_EQ(cql("ascii", encode_ascii("x")), "'x'");
  EXPECT_EQ(cql("blob", b{0xca, 0xfe}), "0xcafe");
  EXPECT_EQ(cql("blob", b{}), "0x");
  EXPECT_EQ(cql("boolean", encode_boolean(true)), "true");
  EXPECT_EQ(display("boolean", encode_boolean(false)), "false");
  EXPECT_EQ(cql("int", encode_int(-42)), "-42");
  EXPECT_EQ(cql("tinyint", encode_tinyint(-128)), "-128");
  EXPECT_EQ(cql("smallint", encode_smallint(300)), "300");
  EXPECT_EQ(cql("bigint", encode_bigint(std::numeric_limits<int64_t>::min())),
            "-9223372036854775808");
  EXPECT_EQ(cql("counter", encode_counter(7)), "7");
  EXPECT_EQ(cql("varint", *encode_varint("-123456789012345678901234567890")),
            "-123456789012345678901234567890");
  EXPECT_EQ(cql("decimal", *encode_decimal("-12.3450")), "-12.3450");
  EXPECT_EQ(cql("uuid", encode_uuid(*parse_uuid("123e4567-e89b-12d3-a456-426614174000"))),
            "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(cql("inet", *encode_inet(b{10, 0, 0, 1})), "'10.0.0.1'");
  EXPECT_EQ(display("inet", *encode_inet(b{10, 0, 0, 1})), "10.0.0.1");
  b v6(16);
  v6[15] = 1;
  EXPECT_EQ(cql("inet", v6), "'::1'");
}

TEST(Values, FormatFloats) {
  EXPECT_EQ(cql("double", encode_double(1.5)), "1.5");
  EXPECT_EQ(cql("double", encode_double(0.1)), "0.1");
  EXPECT_EQ(cql("double", encode_double(1e300)), "1e+300");
  EXPECT_EQ(cql("double", encode_double(-0.0)), "-0");
  EXPECT_EQ(cql("double", encode_double(std::nan(""))), "NaN");
  EXPECT_EQ(cql("double", encode_double(INFINITY)), "Infinity");
  EXPECT_EQ(cql("float", encode_float(-INFINITY)), "-Infinity");
  EXPECT_EQ(cql("float", encode_float(0.1f)), "0.1");
  EXPECT_EQ(cql("float", encode_float(3.4028235e38f)), "3.4028235e+38");
  EXPECT_EQ(display("double", encode_double(2)), "2");
  // Parsed as a double and narrowed, 7.038531e-26 would round to the next float up.
  EXPECT_EQ(cql("float", encode_float(std::bit_cast<float>(0x15ae43fdu))), "7.038530691851209e-26");
  EXPECT_EQ(cql("float", encode_float(std::bit_cast<float>(0x15ae43feu))), "7.0385313e-26");
}

TEST(Values, FormatTemporal) {
  const int64_t ms = 1706704496789;  // 2024-01-31 12:34:56.789 UTC
  EXPECT_EQ(cql("timestamp", encode_timestamp(ms)), "'2024-01-31 12:34:56.789+0000'");
  EXPECT_EQ(display("timestamp", encode_timestamp(ms)), "2024-01-31 12:34:56.789000+0000");
  EXPECT_EQ(cql("timestamp", encode_timestamp(-1)), "'1969-12-31 23:59:59.999+0000'");
  EXPECT_EQ(cql("timestamp", encode_timestamp(std::numeric_limits<int64_t>::min())),
            "-9223372036854775808");
  EXPECT_EQ(display("timestamp", encode_timestamp(-62135596800001)), "-62135596800001");
  EXPECT_EQ(cql("timestamp", encode_timestamp(-62135596800000)), "'0001-01-01 00:00:00.000+0000'");
  EXPECT_EQ(cql("date", encode_date(19753)), "'2024-01-31'");
  EXPECT_EQ(display("date", encode_date(19753)), "2024-01-31");
  EXPECT_EQ(cql("date", encode_date(-1)), "'1969-12-31'");
  EXPECT_EQ(cql("date", encode_date(-719162)), "'0001-01-01'");
  EXPECT_EQ(cql("date", encode_date(-719163)), "2146764485");  // unsigned days + 2^31
  EXPECT_EQ(display("date", encode_date(-719163)), "-719163");
  EXPECT_EQ(cql("date", encode_date(std::numeric_limits<int32_t>::min())), "0");
  EXPECT_EQ(cql("time", encode_time(45'296'123'456'789)), "'12:34:56.123456789'");
  EXPECT_EQ(display("time", encode_time(0)), "00:00:00.000000000");
}

TEST(Values, FormatCollections) {
  const b texts = encode_list({encode_text("a'b"), encode_text("c")});
  EXPECT_EQ(cql("list<text>", texts), "['a''b', 'c']");
  EXPECT_EQ(display("list<text>", texts), "['a''b', 'c']");
  EXPECT_EQ(cql("set<int>", encode_set({encode_int(1), encode_int(2)})), "{1, 2}");
  EXPECT_EQ(cql("set<int>", encode_set({})), "{}");
  EXPECT_EQ(cql("list<int>", encode_list({})), "[]");
  const b map = encode_map({{encode_text("k"), encode_timestamp(0)}});
  EXPECT_EQ(cql("map<text, timestamp>", map), "{'k': '1970-01-01 00:00:00.000+0000'}");
  EXPECT_EQ(display("map<text, timestamp>", map), "{'k': '1970-01-01 00:00:00.000000+0000'}");
  EXPECT_EQ(display("map<int, boolean>", encode_map({{encode_int(1), encode_boolean(true)}})),
            "{1: true}");
  EXPECT_EQ(display("list<inet>", encode_list({*encode_inet(b{1, 2, 3, 4})})), "['1.2.3.4']");
  EXPECT_EQ(cql("list<frozen<list<int>>>", encode_list({encode_list({encode_int(1)})})), "[[1]]");
}

TEST(Values, FormatEmptyAndInvalid) {
  EXPECT_EQ(cql("int", b{}), "");
  EXPECT_EQ(display("timestamp", b{}), "");
  EXPECT_EQ(cql("varint", b{}), "");
  EXPECT_EQ(cql("int", b{1, 2, 3}), "0x010203 /* invalid int */");
  EXPECT_EQ(display("text", b{0xff}), "0xff /* invalid text */");
  EXPECT_EQ(cql("time", encode_time(-1)), "0xffffffffffffffff /* invalid time */");
  EXPECT_EQ(cql("list<int>", b{0, 0, 0, 1}), "0x00000001 /* invalid list<int> */");
  EXPECT_EQ(cql("list<int>", encode_list({encode_smallint(1)})),
            "0x00000001000000020001 /* invalid list<int> */");
  EXPECT_EQ(cql("inet", b{1, 2, 3}), "0x010203 /* invalid inet */");
  EXPECT_EQ(cql("decimal", b{0, 0, 0, 1}), "0x00000001 /* invalid decimal */");
}

}  // namespace
}  // namespace sluice::cql
