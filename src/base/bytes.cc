#include "base/bytes.h"

#include <fmt/core.h>

#include "base/varint.h"

namespace sluice {

std::unexpected<error> byte_reader::short_buffer(size_t need) const {
  return make_error(errc::short_buffer,
                    fmt::format("need {} byte(s) at offset {}, {} left", need, pos_, remaining()));
}

result<double> byte_reader::read_f64() {
  auto bits = SLUICE_TRY(read_u64());
  return std::bit_cast<double>(bits);
}

template <class T, class Decode>
result<T> byte_reader::read_encoded(Decode decode) {
  auto d = decode(buf_.subspan(pos_));
  if (!d) {
    return std::unexpected(std::move(d).error().with_context(fmt::format("at offset {}", pos_)));
  }
  pos_ += d->size;
  return d->value;
}

result<uint32_t> byte_reader::read_unsigned_varint() {
  return read_encoded<uint32_t>(varint::decode_unsigned32);
}
result<int32_t> byte_reader::read_varint() { return read_encoded<int32_t>(varint::decode_varint); }
result<int64_t> byte_reader::read_varlong() {
  return read_encoded<int64_t>(varint::decode_varlong);
}

result<bytes_view> byte_reader::read_bytes(size_t n) {
  if (remaining() < n) return short_buffer(n);
  bytes_view v = buf_.subspan(pos_, n);
  pos_ += n;
  return v;
}

result<void> byte_reader::skip(size_t n) {
  if (remaining() < n) return short_buffer(n);
  pos_ += n;
  return {};
}

void byte_writer::write_unsigned_varint(uint32_t v) {
  uint8_t tmp[varint::max_bytes_64];
  write_bytes(bytes_view(tmp, varint::encode_unsigned(v, tmp)));
}

void byte_writer::write_varint(int32_t v) { write_unsigned_varint(varint::zigzag_encode(v)); }

void byte_writer::write_varlong(int64_t v) {
  uint8_t tmp[varint::max_bytes_64];
  write_bytes(bytes_view(tmp, varint::encode_unsigned(varint::zigzag_encode(v), tmp)));
}

template <std::integral T>
result<void> byte_writer::patch_fixed(size_t at, T v) {
  if (at > buf_.size() || buf_.size() - at < sizeof(T)) {
    return make_error(
        errc::invalid_argument,
        fmt::format("patch of {} byte(s) at {} outside buffer of {}", sizeof(T), at, buf_.size()));
  }
  T be = detail::to_big_endian(v);
  std::memcpy(buf_.data() + at, &be, sizeof(T));
  return {};
}

template result<void> byte_writer::patch_fixed<int32_t>(size_t, int32_t);
template result<void> byte_writer::patch_fixed<uint32_t>(size_t, uint32_t);

}  // namespace sluice
