#include "base/bytes.h"

#include <gtest/gtest.h>

#include <limits>

namespace sluice {
namespace {

template <class T>
using read_fn = result<T> (byte_reader::*)();

// Every fixed-width read on every buffer shorter than its width fails with short_buffer and
// leaves the position where it was.
template <class T>
void expect_short_reads(read_fn<T> fn) {
  const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (size_t len = 0; len < sizeof(T); ++len) {
    byte_reader r(bytes_view(data, len));
    auto v = (r.*fn)();
    ASSERT_FALSE(v.has_value()) << "width " << sizeof(T) << " len " << len;
    EXPECT_TRUE(is(v.error(), errc::short_buffer));
    EXPECT_EQ(r.position(), 0u);
    EXPECT_EQ(r.remaining(), len);
  }
  // The same read succeeds with exactly enough bytes, and fails after an offset.
  byte_reader r(bytes_view(data, sizeof(T) + 1));
  ASSERT_TRUE((r.*fn)().has_value());
  auto again = (r.*fn)();
  if (sizeof(T) > 1) {
    ASSERT_FALSE(again.has_value());
    EXPECT_NE(again.error().message.find("at offset " + std::to_string(sizeof(T))),
              std::string::npos)
        << again.error().message;
  }
}

TEST(byte_reader, short_buffer_every_width) {
  expect_short_reads<uint8_t>(&byte_reader::read_u8);
  expect_short_reads<int8_t>(&byte_reader::read_i8);
  expect_short_reads<uint16_t>(&byte_reader::read_u16);
  expect_short_reads<int16_t>(&byte_reader::read_i16);
  expect_short_reads<uint32_t>(&byte_reader::read_u32);
  expect_short_reads<int32_t>(&byte_reader::read_i32);
  expect_short_reads<uint64_t>(&byte_reader::read_u64);
  expect_short_reads<int64_t>(&byte_reader::read_i64);
  expect_short_reads<double>(&byte_reader::read_f64);
}

TEST(byte_reader, big_endian_values) {
  const uint8_t data[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xff, 0xfe};
  byte_reader r(data);
  EXPECT_EQ(*r.read_u16(), 0x1234u);
  EXPECT_EQ(*r.read_i16(), 0x5678);
  EXPECT_EQ(*r.read_u32(), 0x9abcdef0u);
  EXPECT_EQ(*r.read_i16(), -2);
  EXPECT_TRUE(r.empty());
}

TEST(byte_reader, read_bytes_and_skip) {
  const uint8_t data[] = {1, 2, 3, 4, 5};
  byte_reader r(data);
  ASSERT_TRUE(r.skip(1).has_value());
  auto b = r.read_bytes(3);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->size(), 3u);
  EXPECT_EQ((*b)[0], 2);
  EXPECT_EQ(b->data(), data + 1);  // a view, not a copy

  auto too_many = r.read_bytes(2);
  ASSERT_FALSE(too_many.has_value());
  EXPECT_TRUE(is(too_many.error(), errc::short_buffer));
  EXPECT_EQ(r.position(), 4u);
  EXPECT_FALSE(r.skip(2).has_value());
  EXPECT_EQ(r.position(), 4u);
  EXPECT_TRUE(r.read_bytes(0).has_value());
  EXPECT_TRUE(r.skip(1).has_value());
  EXPECT_TRUE(r.empty());
  // A huge length must not overflow the bounds check.
  EXPECT_FALSE(r.read_bytes(std::numeric_limits<size_t>::max()).has_value());
  EXPECT_FALSE(r.skip(std::numeric_limits<size_t>::max()).has_value());
}

TEST(byte_rw, round_trip_extremes) {
  byte_writer w;
  w.write_u8(0xff);
  w.write_i8(std::numeric_limits<int8_t>::min());
  w.write_i16(std::numeric_limits<int16_t>::min());
  w.write_u16(std::numeric_limits<uint16_t>::max());
  w.write_i32(std::numeric_limits<int32_t>::min());
  w.write_u32(std::numeric_limits<uint32_t>::max());
  w.write_i64(std::numeric_limits<int64_t>::min());
  w.write_u64(std::numeric_limits<uint64_t>::max());
  w.write_f64(-0.5);
  w.write_bytes(std::string_view("xyz"));
  EXPECT_EQ(w.size(), 1u + 1 + 2 + 2 + 4 + 4 + 8 + 8 + 8 + 3);

  byte_reader r(w.view());
  EXPECT_EQ(*r.read_u8(), 0xff);
  EXPECT_EQ(*r.read_i8(), std::numeric_limits<int8_t>::min());
  EXPECT_EQ(*r.read_i16(), std::numeric_limits<int16_t>::min());
  EXPECT_EQ(*r.read_u16(), std::numeric_limits<uint16_t>::max());
  EXPECT_EQ(*r.read_i32(), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(*r.read_u32(), std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(*r.read_i64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*r.read_u64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(*r.read_f64(), -0.5);
  EXPECT_EQ(as_string_view(*r.read_bytes(3)), "xyz");
  EXPECT_TRUE(r.empty());
}

TEST(byte_writer, wire_layout_is_big_endian) {
  byte_writer w;
  w.write_i32(0x01020304);
  const auto v = w.view();
  EXPECT_EQ(std::vector<uint8_t>(v.begin(), v.end()), (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST(byte_writer, patch) {
  byte_writer w;
  w.write_i32(0);
  w.write_u8(7);
  ASSERT_TRUE(w.patch_i32(0, 5).has_value());
  byte_reader r(w.view());
  EXPECT_EQ(*r.read_i32(), 5);
  // Patches that would spill past the end, or start past it, are refused.
  EXPECT_FALSE(w.patch_i32(2, 1).has_value());
  EXPECT_FALSE(w.patch_u32(5, 1).has_value());
  EXPECT_FALSE(w.patch_u32(std::numeric_limits<size_t>::max(), 1).has_value());
  auto bytes = std::move(w).take();
  EXPECT_EQ(bytes.size(), 5u);
}

}  // namespace
}  // namespace sluice
