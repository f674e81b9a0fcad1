#include "base/varint.h"

#include <fmt/core.h>

namespace sluice::varint {
namespace {

// Decodes an unsigned varint of at most `bits` bits.
template <class T, unsigned Bits>
result<decoded<T>> decode_unsigned(bytes_view in) {
  constexpr size_t max_len = (Bits + 6) / 7;
  // Bits the last permitted byte may carry without overflowing T.
  constexpr unsigned last_bits = Bits - 7 * (max_len - 1);
  T value = 0;
  for (size_t i = 0; i < max_len; ++i) {
    if (i == in.size()) {
      return make_error(errc::short_buffer,
                        fmt::format("varint needs more than the {} byte(s) left", in.size()));
    }
    const uint8_t b = in[i];
    if (i == max_len - 1 && (b >> last_bits) != 0) {
      return make_error(errc::malformed_varint,
                        fmt::format("varint longer than {} bytes or above {} bits", max_len, Bits));
    }
    value |= static_cast<T>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return decoded<T>{value, i + 1};
  }
  // Unreachable: the last byte either ended the loop or was rejected above.
  return make_error(errc::malformed_varint, "varint too long");
}

}  // namespace

result<decoded<uint32_t>> decode_unsigned32(bytes_view in) {
  return decode_unsigned<uint32_t, 32>(in);
}

result<decoded<uint64_t>> decode_unsigned64(bytes_view in) {
  return decode_unsigned<uint64_t, 64>(in);
}

result<decoded<int32_t>> decode_varint(bytes_view in) {
  auto u = SLUICE_TRY(decode_unsigned32(in));
  return decoded<int32_t>{zigzag_decode(u.value), u.size};
}

result<decoded<int64_t>> decode_varlong(bytes_view in) {
  auto u = SLUICE_TRY(decode_unsigned64(in));
  return decoded<int64_t>{zigzag_decode(u.value), u.size};
}

size_t encode_unsigned(uint64_t v, uint8_t* out) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<uint8_t>(v) | 0x80;
    v >>= 7;
  }
  out[n++] = static_cast<uint8_t>(v);
  return n;
}

}  // namespace sluice::varint
