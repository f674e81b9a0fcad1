// Big-endian readers and writers for wire and disk formats (Kafka, CQL, log segments).
//
// byte_reader never reads past its buffer: every read returns result<T>, and a read that needs
// more bytes than remain fails with errc::short_buffer and leaves the position unchanged.
// byte_writer appends to a growable buffer it owns and can patch fixed-width fields afterwards
// (for length prefixes and checksums that are known only at the end).
// Thread-safety: neither is synchronized; use one per thread.
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice {

using bytes_view = std::span<const uint8_t>;

inline bytes_view as_bytes_view(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_string_view(bytes_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

namespace detail {
template <class T>
constexpr T to_big_endian(T v) {
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) {
    return std::byteswap(v);
  } else {
    return v;
  }
}
}  // namespace detail

class byte_reader {
 public:
  explicit byte_reader(bytes_view buf) : buf_(buf) {}

  [[nodiscard]] size_t position() const { return pos_; }
  [[nodiscard]] size_t remaining() const { return buf_.size() - pos_; }
  [[nodiscard]] bool empty() const { return remaining() == 0; }

  result<uint8_t> read_u8() { return read_fixed<uint8_t>(); }
  result<int8_t> read_i8() { return read_fixed<int8_t>(); }
  result<uint16_t> read_u16() { return read_fixed<uint16_t>(); }
  result<int16_t> read_i16() { return read_fixed<int16_t>(); }
  result<uint32_t> read_u32() { return read_fixed<uint32_t>(); }
  result<int32_t> read_i32() { return read_fixed<int32_t>(); }
  result<uint64_t> read_u64() { return read_fixed<uint64_t>(); }
  result<int64_t> read_i64() { return read_fixed<int64_t>(); }
  result<double> read_f64();

  // Kafka's variable-length integers (see varint.h for the encodings).
  result<uint32_t> read_unsigned_varint();
  result<int32_t> read_varint();   // zigzag, at most 5 bytes
  result<int64_t> read_varlong();  // zigzag, at most 10 bytes

  // A view of the next n bytes, valid as long as the underlying buffer.
  result<bytes_view> read_bytes(size_t n);
  result<void> skip(size_t n);

 private:
  std::unexpected<error> short_buffer(size_t need) const;
  // Runs a decoder (varint.h) at the current position; advances past what it consumed.
  template <class T, class Decode>
  result<T> read_encoded(Decode decode);

  template <std::integral T>
  result<T> read_fixed() {
    if (remaining() < sizeof(T)) [[unlikely]]
      return short_buffer(sizeof(T));
    T v;
    std::memcpy(&v, buf_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return detail::to_big_endian(v);
  }

  bytes_view buf_;
  size_t pos_ = 0;
};

class byte_writer {
 public:
  byte_writer() = default;
  explicit byte_writer(size_t reserve) { buf_.reserve(reserve); }

  [[nodiscard]] size_t size() const { return buf_.size(); }
  [[nodiscard]] bytes_view view() const { return buf_; }
  [[nodiscard]] std::vector<uint8_t> take() && { return std::move(buf_); }

  void write_u8(uint8_t v) { buf_.push_back(v); }
  void write_i8(int8_t v) { buf_.push_back(static_cast<uint8_t>(v)); }
  void write_u16(uint16_t v) { write_fixed(v); }
  void write_i16(int16_t v) { write_fixed(v); }
  void write_u32(uint32_t v) { write_fixed(v); }
  void write_i32(int32_t v) { write_fixed(v); }
  void write_u64(uint64_t v) { write_fixed(v); }
  void write_i64(int64_t v) { write_fixed(v); }
  void write_f64(double v) { write_fixed(std::bit_cast<uint64_t>(v)); }

  void write_unsigned_varint(uint32_t v);
  void write_varint(int32_t v);
  void write_varlong(int64_t v);

  void write_bytes(bytes_view b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  void write_bytes(std::string_view s) { write_bytes(as_bytes_view(s)); }

  // Overwrites a fixed-width field written earlier, e.g. a length prefix reserved with
  // write_i32(0). Fails with errc::invalid_argument if the field does not lie inside the buffer.
  result<void> patch_i32(size_t at, int32_t v) { return patch_fixed(at, v); }
  result<void> patch_u32(size_t at, uint32_t v) { return patch_fixed(at, v); }

 private:
  template <std::integral T>
  void write_fixed(T v) {
    T be = detail::to_big_endian(v);
    const auto* p = reinterpret_cast<const uint8_t*>(&be);
    buf_.insert(buf_.end(), p, p + sizeof(T));
  }
  template <std::integral T>
  result<void> patch_fixed(size_t at, T v);

  std::vector<uint8_t> buf_;
};

}  // namespace sluice
