#include "cql/key_encoding.h"

#include <algorithm>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace sluice::cql {
namespace {

uint64_t read_be(bytes_view v) {
  uint64_t x = 0;
  for (uint8_t b : v) x = (x << 8) | b;
  return x;
}

void write_be(byte_writer& out, uint64_t x, size_t bytes) {
  for (size_t i = bytes; i-- > 0;) out.write_u8(static_cast<uint8_t>(x >> (8 * i)));
}

void signed_fixed(bytes_view v, byte_writer& out) {
  const uint64_t sign = uint64_t{1} << (8 * v.size() - 1);
  write_be(out, read_be(v) ^ sign, v.size());
}

void ieee(bytes_view v, byte_writer& out) {
  const uint64_t x = read_be(v);
  const uint64_t sign = uint64_t{1} << (8 * v.size() - 1);
  const uint64_t all = v.size() == 8 ? ~uint64_t{0} : (sign << 1) - 1;
  write_be(out, (x & sign) ? (~x & all) : (x ^ sign), v.size());
}

void escaped(bytes_view v, byte_writer& out) {
  for (uint8_t b : v) {
    out.write_u8(b);
    if (b == 0) out.write_u8(0xFF);
  }
  out.write_u8(0);
  out.write_u8(0);
}

// Two's complement big-endian without redundant leading sign bytes.
bytes_view minimal(bytes_view v) {
  while (v.size() > 1 && ((v[0] == 0x00 && v[1] < 0x80) || (v[0] == 0xFF && v[1] >= 0x80))) {
    v = v.subspan(1);
  }
  return v;
}

void varint(bytes_view v, byte_writer& out) {
  v = minimal(v);
  const bool negative = v[0] >= 0x80;
  out.write_u8(negative ? 0x00 : 0x01);
  const auto n = static_cast<uint32_t>(v.size());
  out.write_u32(negative ? ~n : n);
  out.write_bytes(v);
}

// The decimal digits of a two's complement big-endian integer's magnitude.
std::string magnitude_digits(bytes_view v, bool negative) {
  std::vector<uint8_t> mag(v.begin(), v.end());
  if (negative) {  // two's complement negation
    for (auto& b : mag) b = static_cast<uint8_t>(~b);
    for (size_t i = mag.size(); i-- > 0;) {
      if (++mag[i] != 0) break;
    }
  }
  std::string digits;
  while (std::ranges::any_of(mag, [](uint8_t b) { return b != 0; })) {
    uint32_t rem = 0;
    for (auto& b : mag) {
      const uint32_t cur = (rem << 8) | b;
      b = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + rem));
  }
  std::ranges::reverse(digits);
  return digits;
}

void decimal(bytes_view v, byte_writer& out) {
  byte_reader r(v);
  const int32_t scale = *r.read_i32();
  const bytes_view unscaled = minimal(v.subspan(4));
  const bool negative = unscaled[0] >= 0x80;
  std::string digits = magnitude_digits(unscaled, negative);
  if (digits.empty()) {
    out.write_u8(0x01);  // zero, whatever its scale
    return;
  }
  // Value = 0.d1d2d3... x 10^exponent, with d1 != 0 and no trailing zeros.
  int64_t exponent = static_cast<int64_t>(digits.size()) - scale;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  byte_writer body;
  body.write_u64(static_cast<uint64_t>(exponent) ^ (uint64_t{1} << 63));
  body.write_bytes(std::string_view(digits));
  body.write_u8(0);
  out.write_u8(negative ? 0x00 : 0x02);
  for (uint8_t b : body.view()) out.write_u8(negative ? static_cast<uint8_t>(~b) : b);
}

void time_uuid_order(bytes_view v, byte_writer& out) {
  const uint64_t time_low = read_be(v.subspan(0, 4));
  const uint64_t time_mid = read_be(v.subspan(4, 2));
  const uint64_t time_hi = read_be(v.subspan(6, 2)) & 0x0FFF;
  out.write_u64((time_hi << 48) | (time_mid << 32) | time_low);
  for (uint8_t b : v.subspan(8)) out.write_u8(b ^ 0x80);  // compared as signed bytes
}

}  // namespace

void encode_token(int64_t token, byte_writer& out) {
  out.write_u64(static_cast<uint64_t>(token) ^ (uint64_t{1} << 63));
}

result<void> encode_key_component(const data_type& type, bytes_view value, bool descending,
                                  byte_writer& out) {
  byte_writer c(value.size() + 8);
  switch (type.id) {
    case type_id::boolean: c.write_u8(value[0] != 0 ? 1 : 0); break;
    case type_id::tinyint:
    case type_id::smallint:
    case type_id::int_:
    case type_id::bigint:
    case type_id::counter:
    case type_id::timestamp:
    case type_id::time: signed_fixed(value, c); break;
    case type_id::date: c.write_bytes(value); break;
    case type_id::float_:
    case type_id::double_: ieee(value, c); break;
    case type_id::ascii:
    case type_id::varchar:
    case type_id::blob:
    case type_id::inet: escaped(value, c); break;
    case type_id::varint: varint(value, c); break;
    case type_id::decimal: decimal(value, c); break;
    case type_id::timeuuid: time_uuid_order(value, c); break;
    case type_id::uuid: {
      const uint8_t version = value[6] >> 4;
      c.write_u8(version);
      if (version == 1) {
        time_uuid_order(value, c);
      } else {
        c.write_bytes(value);
      }
      break;
    }
    default:
      return make_error(errc::invalid_type,
                        fmt::format("{} values cannot be part of a primary key", type.name()));
  }
  for (uint8_t b : c.view()) out.write_u8(descending ? static_cast<uint8_t>(~b) : b);
  return {};
}

result<size_t> key_component_size(const data_type& type, bytes_view e, bool descending) {
  auto at = [&](size_t i) -> uint8_t { return descending ? static_cast<uint8_t>(~e[i]) : e[i]; };
  auto fits = [&](size_t n) -> result<size_t> {
    if (n > e.size()) return make_error(errc::malformed, "truncated key component");
    return n;
  };
  switch (type.id) {
    case type_id::boolean:
    case type_id::tinyint: return fits(1);
    case type_id::smallint: return fits(2);
    case type_id::int_:
    case type_id::date:
    case type_id::float_: return fits(4);
    case type_id::bigint:
    case type_id::counter:
    case type_id::timestamp:
    case type_id::time:
    case type_id::double_: return fits(8);
    case type_id::timeuuid: return fits(16);
    case type_id::uuid: return fits(17);
    case type_id::ascii:
    case type_id::varchar:
    case type_id::blob:
    case type_id::inet:
      for (size_t i = 0; i + 1 < e.size(); ++i) {
        if (at(i) != 0) continue;
        if (at(i + 1) == 0) return i + 2;
        ++i;  // an escaped 0x00
      }
      return fits(e.size() + 1);
    case type_id::varint: {
      SLUICE_TRY(fits(5));
      const bool negative = at(0) == 0;
      uint32_t n = 0;
      for (size_t i = 1; i < 5; ++i) n = (n << 8) | at(i);
      if (negative) n = ~n;
      return fits(size_t{5} + n);
    }
    case type_id::decimal: {
      SLUICE_TRY(fits(1));
      if (at(0) == 0x01) return 1;
      const uint8_t end = at(0) == 0x00 ? 0xFF : 0x00;  // the terminator, inverted when negative
      for (size_t i = 9; i < e.size(); ++i) {
        if (at(i) == end) return i + 1;
      }
      return fits(e.size() + 1);
    }
    default:
      return make_error(errc::invalid_type,
                        fmt::format("{} values cannot be part of a primary key", type.name()));
  }
}

}  // namespace sluice::cql
