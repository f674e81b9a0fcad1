#include "base/varint.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <vector>

#include "base/bytes.h"

namespace sluice {
namespace {

std::vector<uint8_t> encode_varint(int32_t v) {
  byte_writer w;
  w.write_varint(v);
  auto b = w.view();
  return {b.begin(), b.end()};
}
std::vector<uint8_t> encode_varlong(int64_t v) {
  byte_writer w;
  w.write_varlong(v);
  auto b = w.view();
  return {b.begin(), b.end()};
}
std::vector<uint8_t> encode_unsigned(uint32_t v) {
  byte_writer w;
  w.write_unsigned_varint(v);
  auto b = w.view();
  return {b.begin(), b.end()};
}

using bytes = std::vector<uint8_t>;

TEST(varint, zigzag) {
  EXPECT_EQ(varint::zigzag_encode(int32_t{0}), 0u);
  EXPECT_EQ(varint::zigzag_encode(int32_t{-1}), 1u);
  EXPECT_EQ(varint::zigzag_encode(int32_t{1}), 2u);
  EXPECT_EQ(varint::zigzag_encode(int32_t{-2}), 3u);
  EXPECT_EQ(varint::zigzag_encode(std::numeric_limits<int32_t>::max()), 0xfffffffeu);
  EXPECT_EQ(varint::zigzag_encode(std::numeric_limits<int32_t>::min()), 0xffffffffu);
  EXPECT_EQ(varint::zigzag_encode(std::numeric_limits<int64_t>::min()), ~uint64_t{0});
  EXPECT_EQ(varint::zigzag_decode(uint32_t{0xffffffff}), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(varint::zigzag_decode(~uint64_t{0}), std::numeric_limits<int64_t>::min());
}

// Known encodings, as Kafka writes them.
TEST(varint, known_encodings) {
  EXPECT_EQ(encode_varint(0), (bytes{0x00}));
  EXPECT_EQ(encode_varint(-1), (bytes{0x01}));
  EXPECT_EQ(encode_varint(1), (bytes{0x02}));
  EXPECT_EQ(encode_varint(63), (bytes{0x7e}));
  EXPECT_EQ(encode_varint(-64), (bytes{0x7f}));
  EXPECT_EQ(encode_varint(64), (bytes{0x80, 0x01}));
  EXPECT_EQ(encode_varint(150), (bytes{0xac, 0x02}));
  EXPECT_EQ(encode_unsigned(300), (bytes{0xac, 0x02}));
  EXPECT_EQ(encode_unsigned(127), (bytes{0x7f}));
  EXPECT_EQ(encode_unsigned(128), (bytes{0x80, 0x01}));
}

TEST(varint, five_byte_extremes) {
  EXPECT_EQ(encode_varint(std::numeric_limits<int32_t>::max()),
            (bytes{0xfe, 0xff, 0xff, 0xff, 0x0f}));
  EXPECT_EQ(encode_varint(std::numeric_limits<int32_t>::min()),
            (bytes{0xff, 0xff, 0xff, 0xff, 0x0f}));
  EXPECT_EQ(encode_unsigned(std::numeric_limits<uint32_t>::max()),
            (bytes{0xff, 0xff, 0xff, 0xff, 0x0f}));
  for (int32_t v : {std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()}) {
    auto enc = encode_varint(v);
    auto d = varint::decode_varint(enc);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->value, v);
    EXPECT_EQ(d->size, 5u);
  }
  auto u = varint::decode_unsigned32(bytes{0xff, 0xff, 0xff, 0xff, 0x0f});
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->value, std::numeric_limits<uint32_t>::max());
}

TEST(varint, ten_byte_extremes) {
  const bytes max_enc{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  const bytes min_enc{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  EXPECT_EQ(encode_varlong(std::numeric_limits<int64_t>::max()), max_enc);
  EXPECT_EQ(encode_varlong(std::numeric_limits<int64_t>::min()), min_enc);
  auto a = varint::decode_varlong(max_enc);
  auto b = varint::decode_varlong(min_enc);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->value, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(b->value, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(a->size, 10u);
}

TEST(varint, overlong_32_bit_encodings_are_malformed) {
  // A sixth byte would be needed: the fifth still has its continuation bit.
  for (const bytes& in :
       {bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
        // The fifth byte carries bits past bit 31.
        bytes{0xff, 0xff, 0xff, 0xff, 0x1f}, bytes{0x80, 0x80, 0x80, 0x80, 0x10},
        bytes{0x80, 0x80, 0x80, 0x80, 0x7f}}) {
    auto u = varint::decode_unsigned32(in);
    ASSERT_FALSE(u.has_value());
    EXPECT_TRUE(is(u.error(), errc::malformed_varint)) << u.error().message;
    auto s = varint::decode_varint(in);
    ASSERT_FALSE(s.has_value());
    EXPECT_TRUE(is(s.error(), errc::malformed_varint));
  }
}

TEST(varint, overlong_64_bit_encodings_are_malformed) {
  const bytes eleven{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00};
  const bytes tenth_too_big{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02};
  for (const bytes& in : {eleven, tenth_too_big}) {
    auto d = varint::decode_varlong(in);
    ASSERT_FALSE(d.has_value());
    EXPECT_TRUE(is(d.error(), errc::malformed_varint)) << d.error().message;
  }
}

TEST(varint, truncated_is_short_buffer) {
  for (const bytes& in : {bytes{}, bytes{0x80}, bytes{0xff, 0xff}, bytes{0xff, 0xff, 0xff, 0xff}}) {
    auto d = varint::decode_varint(in);
    ASSERT_FALSE(d.has_value());
    EXPECT_TRUE(is(d.error(), errc::short_buffer));
  }
  auto d = varint::decode_varlong(bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  ASSERT_FALSE(d.has_value());
  EXPECT_TRUE(is(d.error(), errc::short_buffer));
}

TEST(varint, reader_reports_offset_and_keeps_position) {
  const uint8_t data[] = {0x02, 0xff, 0xff, 0xff, 0xff, 0x7f};
  byte_reader r(data);
  EXPECT_EQ(*r.read_varint(), 1);
  auto bad = r.read_varint();
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(is(bad.error(), errc::malformed_varint));
  EXPECT_NE(bad.error().message.find("at offset 1"), std::string::npos) << bad.error().message;
  EXPECT_EQ(r.position(), 1u);
}

TEST(varint, random_round_trips) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    // Spread values over every encoded length.
    const int shift = static_cast<int>(rng() % 64);
    const auto v64 = static_cast<int64_t>(rng() >> shift);
    const auto v32 = static_cast<int32_t>(static_cast<uint32_t>(rng() >> (shift % 32 + 32)));
    const int64_t neg = v64 == std::numeric_limits<int64_t>::min() ? v64 : -v64;
    byte_writer w;
    w.write_varlong(v64);
    w.write_varint(v32);
    w.write_varlong(neg);
    w.write_unsigned_varint(static_cast<uint32_t>(v32));
    byte_reader r(w.view());
    ASSERT_EQ(*r.read_varlong(), v64);
    ASSERT_EQ(*r.read_varint(), v32);
    ASSERT_EQ(*r.read_varlong(), neg);
    ASSERT_EQ(*r.read_unsigned_varint(), static_cast<uint32_t>(v32));
    ASSERT_TRUE(r.empty());
    ASSERT_EQ(varint::size_unsigned(varint::zigzag_encode(v64)), encode_varlong(v64).size());
  }
}

}  // namespace
}  // namespace sluice
