// Kafka's variable-length integers (the protobuf encodings): 7 data bits per byte, least
// significant group first, high bit set on every byte but the last.
//   unsigned varint: uint32, 1..5 bytes (compact lengths, tagged fields)
//   varint:          int32 zigzag-mapped, 1..5 bytes (record fields)
//   varlong:         int64 zigzag-mapped, 1..10 bytes (record timestamps and offsets deltas)
// Decoding is strict: an encoding longer than the type's maximum, or whose last byte carries
// bits beyond the type's width, is errc::malformed_varint; running out of input is
// errc::short_buffer. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace sluice::varint {

inline constexpr size_t max_bytes_32 = 5;
inline constexpr size_t max_bytes_64 = 10;

constexpr uint32_t zigzag_encode(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
constexpr uint64_t zigzag_encode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int32_t zigzag_decode(uint32_t v) {
  return static_cast<int32_t>(v >> 1) ^ -static_cast<int32_t>(v & 1);
}
constexpr int64_t zigzag_decode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Bytes needed to encode v.
constexpr size_t size_unsigned(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// A decoded value and the number of input bytes it took.
template <class T>
struct decoded {
  T value;
  size_t size;
};

result<decoded<uint32_t>> decode_unsigned32(bytes_view in);
result<decoded<uint64_t>> decode_unsigned64(bytes_view in);
result<decoded<int32_t>> decode_varint(bytes_view in);
result<decoded<int64_t>> decode_varlong(bytes_view in);

// Writes the encoding of v to out (which must have room for max_bytes_64); returns its length.
size_t encode_unsigned(uint64_t v, uint8_t* out);

}  // namespace sluice::varint
