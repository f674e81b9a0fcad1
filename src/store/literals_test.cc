#include "store/literals.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "parser/parser.h"

namespace sluice::store {
namespace {

// The value of the literal in `INSERT INTO t (c) VALUES (<literal>)` for a column of `type`.
result<std::vector<uint8_t>> value(std::string_view literal, std::string_view type) {
  auto s = parser::parse(fmt::format("INSERT INTO t (c) VALUES ({})", literal));
  EXPECT_TRUE(s) << literal;
  return literal_value(std::get<parser::insert>(s->body).values[0], *cql::data_type::parse(type),
                       "c");
}

std::vector<uint8_t> ok(std::string_view literal, std::string_view type) {
  auto v = value(literal, type);
  EXPECT_TRUE(v) << literal << " as " << type << ": " << (v ? "" : v.error().message);
  return v.value_or(std::vector<uint8_t>{});
}

std::string error_of(std::string_view literal, std::string_view type) {
  auto v = value(literal, type);
  EXPECT_FALSE(v) << literal << " as " << type;
  return v ? "" : v.error().message;
}

using b = std::vector<uint8_t>;

TEST(Literals, Numbers) {
  EXPECT_EQ(ok("-2", "int"), (b{0xff, 0xff, 0xff, 0xfe}));
  EXPECT_EQ(ok("127", "tinyint"), b{0x7f});
  EXPECT_EQ(error_of("128", "tinyint"),
            "Invalid INTEGER constant (128) for \"c\" of type tinyint: out of range");
  EXPECT_EQ(error_of("3.5", "int"), "Invalid FLOAT constant (3.5) for \"c\" of type int");
  EXPECT_EQ(error_of("'7'", "bigint"), "Invalid STRING constant (7) for \"c\" of type bigint");
  EXPECT_EQ(ok("1.5", "double"), (b{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(ok("2", "float"), (b{0x40, 0, 0, 0}));
  EXPECT_EQ(ok("NaN", "double").size(), 8u);
  EXPECT_EQ(ok("-Infinity", "float"), (b{0xff, 0x80, 0, 0}));
  EXPECT_EQ(ok("-129", "varint"), (b{0xff, 0x7f}));
  EXPECT_EQ(ok("128", "varint"), (b{0x00, 0x80}));
  EXPECT_EQ(ok("18446744073709551616", "varint"), (b{0x01, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(ok("-12.5e-3", "decimal"), (b{0, 0, 0, 4, 0x83}));  // -125 x 10^-4
  EXPECT_EQ(ok("100", "decimal"), (b{0, 0, 0, 0, 0x64}));
}

TEST(Literals, TextUuidsAndBlobs) {
  EXPECT_EQ(ok("'héllo'", "text").size(), 6u);
  EXPECT_FALSE(value("'héllo'", "ascii"));
  EXPECT_EQ(ok("0xcafe", "blob"), (b{0xca, 0xfe}));
  EXPECT_FALSE(value("0xcaf", "blob"));
  EXPECT_EQ(ok("123e4567-e89b-12d3-a456-426614174000", "uuid")[0], 0x12);
  EXPECT_EQ(ok("123e4567-e89b-12d3-a456-426614174000", "timeuuid")[6], 0x12);
  EXPECT_FALSE(value("123e4567-e89b-42d3-a456-426614174000", "timeuuid")) << "version 4";
  EXPECT_EQ(ok("true", "boolean"), b{1});
  EXPECT_EQ(ok("now()", "timeuuid")[6] >> 4, 1);
  EXPECT_EQ(ok("uuid()", "uuid")[6] >> 4, 4);
  EXPECT_EQ(ok("toTimestamp(now())", "timestamp").size(), 8u);
  EXPECT_FALSE(value("now()", "int"));
  EXPECT_EQ(ok("'192.168.0.1'", "inet"), (b{192, 168, 0, 1}));
  EXPECT_EQ(ok("'::1'", "inet").size(), 16u);
  EXPECT_FALSE(value("'300.1.1.1'", "inet"));
}

int64_t ms(const b& v) {
  int64_t x = 0;
  for (uint8_t c : v) x = (x << 8) | c;
  return x;
}

TEST(Literals, TimesAndDates) {
  EXPECT_EQ(ms(ok("'1970-01-02'", "timestamp")), 86'400'000);
  EXPECT_EQ(ms(ok("'2020-01-01 12:30:00'", "timestamp")), 1'577'881'800'000);
  EXPECT_EQ(ms(ok("'2020-01-01T12:30:00.250Z'", "timestamp")), 1'577'881'800'250);
  EXPECT_EQ(ms(ok("'2020-01-01 13:30:00+0100'", "timestamp")), 1'577'881'800'000);
  EXPECT_EQ(ms(ok("'2020-01-01 13:30:00+01:00'", "timestamp")), 1'577'881'800'000);
  EXPECT_EQ(ms(ok("1577881800000", "timestamp")), 1'577'881'800'000);
  EXPECT_FALSE(value("'2020-13-01'", "timestamp"));
  EXPECT_FALSE(value("'yesterday'", "timestamp"));
  EXPECT_EQ(ok("'1970-01-01'", "date"), (b{0x80, 0, 0, 0}));
  EXPECT_EQ(ok("'1969-12-31'", "date"), (b{0x7f, 0xff, 0xff, 0xff}));
  EXPECT_EQ(ms(ok("'01:00:00.5'", "time")), 3'600'500'000'000);
  EXPECT_FALSE(value("'25:00:00'", "time"));
}

TEST(Literals, CollectionsAreKeptInTheirTypesOrder) {
  // set<int> {3, 1, 3}: sorted, deduplicated.
  EXPECT_EQ(ok("{3, 1, 3}", "set<int>"),
            (b{0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 3}));
  EXPECT_EQ(ok("{}", "set<int>"), (b{0, 0, 0, 0}));
  EXPECT_EQ(ok("[3, 1]", "list<int>"),
            (b{0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1}));
  // map<text, int> {'b': 1, 'a': 2, 'b': 3}: by key, the later 'b' wins.
  EXPECT_EQ(ok("{'b': 1, 'a': 2, 'b': 3}", "map<text, int>"),
            (b{0, 0, 0, 2, 0, 0, 0,   1, 'a', 0, 0, 0, 4, 0, 0,
               0, 2, 0, 0, 0, 1, 'b', 0, 0,   0, 4, 0, 0, 0, 3}));
  EXPECT_FALSE(value("[1, 'x']", "list<int>"));
  EXPECT_FALSE(value("{1, null}", "set<int>"));
  EXPECT_FALSE(value("[1]", "set<int>"));
  EXPECT_EQ(error_of("null", "int"), "null is not a value for \"c\" here");
}

}  // namespace
}  // namespace sluice::store
