#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "cql/key_encoding.h"
#include "cql/types.h"

namespace sluice::cql {
namespace {

data_type type(std::string_view name) { return *data_type::parse(name); }

std::vector<uint8_t> be(uint64_t x, size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(x >> (8 * (n - 1 - i)));
  return out;
}

// Two's complement, minimal, big-endian, as the protocol serializes varint.
std::vector<uint8_t> varint(int64_t v) {
  std::vector<uint8_t> out = be(static_cast<uint64_t>(v), 8);
  while (out.size() > 1 && ((out[0] == 0 && out[1] < 0x80) || (out[0] == 0xFF && out[1] >= 0x80))) {
    out.erase(out.begin());
  }
  return out;
}

std::vector<uint8_t> decimal(int64_t unscaled, int32_t scale) {
  std::vector<uint8_t> out = be(static_cast<uint32_t>(scale), 4);
  auto v = varint(unscaled);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

std::vector<uint8_t> key(const data_type& t, const std::vector<uint8_t>& v, bool desc = false) {
  byte_writer w;
  auto r = encode_key_component(t, v, desc, w);
  EXPECT_TRUE(r) << r.error().message;
  return {w.view().begin(), w.view().end()};
}

// Values listed in Cassandra's order must encode to strictly increasing keys (and decreasing
// ones when DESC).
void expect_ordered(const data_type& t, const std::vector<std::vector<uint8_t>>& ascending) {
  for (size_t i = 0; i + 1 < ascending.size(); ++i) {
    ASSERT_TRUE(t.validate(ascending[i])) << t.name() << " value " << i;
    EXPECT_LT(key(t, ascending[i]), key(t, ascending[i + 1])) << t.name() << " at " << i;
    EXPECT_GT(key(t, ascending[i], true), key(t, ascending[i + 1], true)) << t.name() << " DESC";
  }
}

TEST(Types, NamesParseAndPrint) {
  EXPECT_EQ(type("TEXT").name(), "text");
  EXPECT_EQ(type("varchar").id, type_id::varchar);
  EXPECT_EQ(type("map<text, int>").name(), "map<text, int>");
  EXPECT_EQ(type(" list< frozen<set<uuid>> > ").name(), "list<set<uuid>>");
  EXPECT_FALSE(data_type::parse("integer"));
  EXPECT_FALSE(data_type::parse("map<text>"));
  EXPECT_FALSE(data_type::parse("list<text"));
  EXPECT_FALSE(data_type::parse("list<counter>"));
}

TEST(Types, OptionsRoundTrip) {
  for (auto name : {"int", "text", "map<text, list<bigint>>", "set<timeuuid>", "decimal"}) {
    byte_writer w;
    type(name).write_option(w);
    byte_reader r(w.view());
    auto back = data_type::read_option(r);
    ASSERT_TRUE(back) << name;
    EXPECT_EQ(*back, type(name));
    EXPECT_TRUE(r.empty());
  }
  const std::vector<uint8_t> custom = {0x00, 0x00, 0x00, 0x01, 'x'};
  byte_reader r(custom);
  EXPECT_FALSE(data_type::read_option(r));
}

TEST(Types, ValuesAreValidated) {
  EXPECT_TRUE(type("int").validate(be(7, 4)));
  EXPECT_FALSE(type("int").validate(be(7, 8)));
  const std::vector<uint8_t> ascii = {'a', 0x80};
  EXPECT_FALSE(type("ascii").validate(ascii));
  const std::vector<uint8_t> good_utf8 = {0xC3, 0xA9, 'x', 0xE2, 0x82, 0xAC};
  EXPECT_TRUE(type("text").validate(good_utf8));
  const std::vector<uint8_t> truncated = {'x', 0xE2, 0x82};
  EXPECT_FALSE(type("text").validate(truncated));
  const std::vector<uint8_t> overlong = {0xC0, 0xAF};
  EXPECT_FALSE(type("text").validate(overlong));
  // Long text is checked eight ASCII bytes at a time: a bad byte anywhere is still found.
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at < len; ++at) {
      std::vector<uint8_t> text(len, 'a');
      EXPECT_TRUE(type("text").validate(text));
      text[at] = 0xFF;
      EXPECT_FALSE(type("text").validate(text)) << len << " " << at;
      text[at] = 0xC3;  // a lead byte whose continuation is ASCII, or missing at the end
      EXPECT_FALSE(type("text").validate(text)) << len << " " << at;
      if (at + 1 < len) {
        text[at + 1] = 0xA9;
        EXPECT_TRUE(type("text").validate(text)) << len << " " << at;
      }
    }
  }
  std::vector<uint8_t> v4(16, 0);
  v4[6] = 0x40;
  EXPECT_TRUE(type("uuid").validate(v4));
  EXPECT_FALSE(type("timeuuid").validate(v4));
  EXPECT_FALSE(type("time").validate(be(86'400'000'000'000ULL, 8)));
  // list<int> [1, 2]; then one claiming more elements than it has.
  std::vector<uint8_t> list = be(2, 4);
  for (int i : {1, 2}) {
    auto len = be(4, 4), val = be(static_cast<uint64_t>(i), 4);
    list.insert(list.end(), len.begin(), len.end());
    list.insert(list.end(), val.begin(), val.end());
  }
  EXPECT_TRUE(type("list<int>").validate(list));
  list[3] = 3;
  EXPECT_FALSE(type("list<int>").validate(list));
  EXPECT_TRUE(type("list<bigint>").validate(be(0, 4))) << "an empty list";
}

TEST(KeyEncoding, IntegersAndTimes) {
  std::vector<std::vector<uint8_t>> ints;
  for (int64_t v : {std::numeric_limits<int32_t>::min(), -300, -1, 0, 1, 255, 256,
                    std::numeric_limits<int32_t>::max()}) {
    ints.push_back(be(static_cast<uint64_t>(v), 4));
  }
  expect_ordered(type("int"), ints);
  std::vector<std::vector<uint8_t>> stamps;
  for (int64_t v : {-86400000LL, -1LL, 0LL, 1700000000000LL}) {
    stamps.push_back(be(static_cast<uint64_t>(v), 8));
  }
  expect_ordered(type("timestamp"), stamps);
  expect_ordered(type("tinyint"), {{0x80}, {0xFF}, {0x00}, {0x7F}});
  expect_ordered(type("date"), {be(0, 4), be(1u << 31, 4), be(0xFFFFFFFF, 4)});
  expect_ordered(type("boolean"), {{0}, {1}});
}

TEST(KeyEncoding, FloatsSortAsJava) {
  std::vector<std::vector<uint8_t>> v;
  for (double d : {-std::numeric_limits<double>::infinity(), -1e300, -1.5, -0.0, 0.0, 1e-300, 2.5,
                   std::numeric_limits<double>::infinity(), std::nan("")}) {
    v.push_back(be(std::bit_cast<uint64_t>(d), 8));
  }
  expect_ordered(type("double"), v);
  std::vector<std::vector<uint8_t>> f;
  for (float x : {-2.0f, -0.0f, 0.0f, 0.5f, 3.0f}) f.push_back(be(std::bit_cast<uint32_t>(x), 4));
  expect_ordered(type("float"), f);
}

TEST(KeyEncoding, BytesSortWithPrefixesFirst) {
  auto s = [](std::string_view x) { return std::vector<uint8_t>(x.begin(), x.end()); };
  std::vector<uint8_t> with_nul = {'a', 0x00};
  std::vector<uint8_t> with_nul2 = {'a', 0x00, 0x00};
  expect_ordered(type("text"), {s(""), s("a"), with_nul, with_nul2, s("a\x01"), s("ab"), s("b")});
  expect_ordered(type("blob"), {{}, {0x00}, {0x00, 0x00}, {0x01}, {0xFF}, {0xFF, 0x00}});
}

TEST(KeyEncoding, VarintsAndDecimals) {
  std::vector<std::vector<uint8_t>> v;
  for (int64_t x : {-70000LL, -256LL, -255LL, -129LL, -128LL, -1LL, 0LL, 1LL, 127LL, 128LL, 255LL,
                    256LL, 70000LL}) {
    v.push_back(varint(x));
  }
  expect_ordered(type("varint"), v);
  std::vector<uint8_t> padded = {0x00, 0x00, 0x05};  // 5 with redundant sign bytes
  EXPECT_EQ(key(type("varint"), padded), key(type("varint"), varint(5)));

  expect_ordered(type("decimal"),
                 {decimal(-150, 1), decimal(-15, 1), decimal(-1, 3), decimal(0, 0), decimal(1, 3),
                  decimal(15, 1), decimal(2, 0), decimal(1, -1), decimal(101, 1), decimal(11, 0)});
  EXPECT_EQ(key(type("decimal"), decimal(15, 1)), key(type("decimal"), decimal(150, 2)))
      << "1.5 and 1.50 are one key, as Cassandra compares them";
  EXPECT_EQ(key(type("decimal"), decimal(0, 0)), key(type("decimal"), decimal(0, 5)));
}

TEST(KeyEncoding, TimeUuidsSortByTime) {
  // Same node, increasing 60-bit timestamps spread over time_hi, time_mid and time_low.
  auto tu = [](uint64_t ts, uint8_t clock) {
    std::vector<uint8_t> u(16, 0x11);
    auto low = be(ts & 0xFFFFFFFF, 4), mid = be((ts >> 32) & 0xFFFF, 2);
    std::copy(low.begin(), low.end(), u.begin());
    std::copy(mid.begin(), mid.end(), u.begin() + 4);
    u[6] = static_cast<uint8_t>(0x10 | ((ts >> 56) & 0x0F));
    u[7] = static_cast<uint8_t>((ts >> 48) & 0xFF);
    u[8] = clock;
    return u;
  };
  expect_ordered(type("timeuuid"), {tu(1, 0x00), tu(0xFFFFFFFF, 0x00), tu(0x100000000ULL, 0x00),
                                    tu(0x1000000000000ULL, 0x80), tu(0x1000000000000ULL, 0x00)});
  byte_writer out;
  EXPECT_FALSE(encode_key_component(type("list<int>"), be(0, 4), false, out))
      << "collections are not keys";
}

TEST(KeyEncoding, TokensSortSigned) {
  byte_writer a, b, c;
  encode_token(std::numeric_limits<int64_t>::min(), a);
  encode_token(-1, b);
  encode_token(5, c);
  auto bytes = [](const byte_writer& w) {
    return std::vector<uint8_t>(w.view().begin(), w.view().end());
  };
  EXPECT_LT(bytes(a), bytes(b));
  EXPECT_LT(bytes(b), bytes(c));
}

}  // namespace
}  // namespace sluice::cql
