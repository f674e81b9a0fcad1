#include "store/literals.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include <fmt/format.h>

#include "base/bytes.h"
#include "cql/key_encoding.h"
#include "cql/values.h"
#include "store/schema.h"

namespace sluice::store {
namespace {

using cql::type_id;
using kind = parser::term::kind;
using bytes = std::vector<uint8_t>;

std::string_view kind_name(kind k) {
  switch (k) {
    case kind::string: return "STRING";
    case kind::integer: return "INTEGER";
    case kind::floating: return "FLOAT";
    case kind::boolean: return "BOOLEAN";
    case kind::uuid: return "UUID";
    case kind::blob: return "HEX";
    case kind::null: return "NULL";
    case kind::bind: return "bind marker";
    case kind::list: return "list literal";
    case kind::set: return "set literal";
    case kind::map: return "map literal";
    case kind::function: return "function call";
  }
  return "value";
}

struct context {
  const parser::term& t;
  const cql::data_type& type;
  std::string_view column;

  std::unexpected<error> wrong(std::string_view why = {}) const {
    return make_error(
        errc::invalid,
        fmt::format("Invalid {} constant ({}) for \"{}\" of type {}{}{}", kind_name(t.what), t.text,
                    column, type.name(), why.empty() ? "" : ": ", why));
  }
};

bytes big_endian(uint64_t v, size_t n) {
  bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
  return out;
}

// A decimal integer of any size as minimal two's complement bytes.
result<bytes> varint_bytes(std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  if (negative || (!text.empty() && text[0] == '+')) text.remove_prefix(1);
  if (text.empty() || !std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; })) {
    return make_error(errc::invalid, fmt::format("'{}' is not an integer", text));
  }
  bytes mag{0};  // big-endian magnitude
  for (char c : text) {
    uint32_t carry = static_cast<uint32_t>(c - '0');
    for (size_t i = mag.size(); i-- > 0;) {
      const uint32_t v = mag[i] * 10u + carry;
      mag[i] = static_cast<uint8_t>(v);
      carry = v >> 8;
    }
    while (carry) {
      mag.insert(mag.begin(), static_cast<uint8_t>(carry));
      carry >>= 8;
    }
  }
  if (mag[0] & 0x80) mag.insert(mag.begin(), 0);  // room for the sign bit
  if (negative) {
    for (auto& b : mag) b = static_cast<uint8_t>(~b);
    for (size_t i = mag.size(); i-- > 0;) {
      if (++mag[i] != 0) break;
    }
  }
  while (mag.size() > 1 &&
         ((mag[0] == 0x00 && mag[1] < 0x80) || (mag[0] == 0xFF && mag[1] >= 0x80))) {
    mag.erase(mag.begin());
  }
  return mag;
}

// "-12.5e-3" as (unscaled digits, scale).
result<bytes> decimal_bytes(std::string_view text) {
  std::string digits;
  int64_t scale = 0;
  size_t i = 0;
  std::string sign;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) sign = text[i++] == '-' ? "-" : "";
  bool seen_point = false;
  for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
    if (text[i] == '.') {
      if (seen_point) return make_error(errc::invalid, fmt::format("'{}' is not a number", text));
      seen_point = true;
    } else if (text[i] >= '0' && text[i] <= '9') {
      digits.push_back(text[i]);
      if (seen_point) ++scale;
    } else {
      return make_error(errc::invalid, fmt::format("'{}' is not a number", text));
    }
  }
  if (i < text.size()) {
    int64_t exponent = 0;
    auto [p, ec] = std::from_chars(text.data() + i + 1 + (text[i + 1] == '+' ? 1 : 0),
                                   text.data() + text.size(), exponent);
    if (ec != std::errc() || p != text.data() + text.size()) {
      return make_error(errc::invalid, fmt::format("'{}' is not a number", text));
    }
    scale -= exponent;
  }
  if (digits.empty() || scale < std::numeric_limits<int32_t>::min() ||
      scale > std::numeric_limits<int32_t>::max()) {
    return make_error(errc::invalid, fmt::format("'{}' is not a number", text));
  }
  bytes out = big_endian(static_cast<uint32_t>(static_cast<int32_t>(scale)), 4);
  bytes unscaled = SLUICE_TRY(varint_bytes(sign + digits));
  out.insert(out.end(), unscaled.begin(), unscaled.end());
  return out;
}

result<bytes> uuid_bytes(std::string_view text) {
  bytes out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '-') continue;
    if (i + 1 >= text.size()) break;
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    ++i;
  }
  if (out.size() != 16) return make_error(errc::invalid, fmt::format("'{}' is not a UUID", text));
  return out;
}

result<bytes> hex_bytes(std::string_view text) {
  text.remove_prefix(2);  // 0x
  if (text.size() % 2 != 0) {
    return make_error(errc::invalid, "a blob needs an even number of hex digits");
  }
  bytes out;
  for (size_t i = 0; i < text.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

result<bytes> function_value(const context& c) {
  const std::string& f = c.t.text;
  const type_id id = c.type.id;
  if (f == "now" && c.t.items.empty() && (id == type_id::timeuuid || id == type_id::uuid)) {
    return new_uuid(true);
  }
  if (f == "uuid" && c.t.items.empty() && id == type_id::uuid) return new_uuid(false);
  const bool now_ms = (f == "currenttimestamp" && c.t.items.empty()) ||
                      (f == "totimestamp" && c.t.items.size() == 1 &&
                       c.t.items[0].what == kind::function && c.t.items[0].text == "now");
  if (now_ms && id == type_id::timestamp) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    return big_endian(static_cast<uint64_t>(ms.count()), 8);
  }
  return make_error(errc::invalid,
                    fmt::format("Function {}() cannot give a value of type {} for \"{}\"", f,
                                c.type.name(), c.column));
}

template <class T>
result<bytes> integer(const context& c, size_t size) {
  if (c.t.what != kind::integer) return c.wrong();
  int64_t v = 0;
  auto [p, ec] = std::from_chars(c.t.text.data(), c.t.text.data() + c.t.text.size(), v);
  if (ec != std::errc() || p != c.t.text.data() + c.t.text.size() ||
      v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
    return c.wrong("out of range");
  }
  return big_endian(static_cast<uint64_t>(v), size);
}

result<bytes> floating(const context& c) {
  if (c.t.what != kind::floating && c.t.what != kind::integer) return c.wrong();
  double v = 0;
  auto [p, ec] = std::from_chars(c.t.text.data(), c.t.text.data() + c.t.text.size(), v);
  if (ec != std::errc() || p != c.t.text.data() + c.t.text.size()) return c.wrong();
  if (c.type.id == type_id::float_) {
    // Parsed as a float, not narrowed from the double: double rounding would move a few values
    // (7.038531e-26) to the next float.
    float f = 0;
    auto [fp, fec] = std::from_chars(c.t.text.data(), c.t.text.data() + c.t.text.size(), f);
    if (fec != std::errc() || fp != c.t.text.data() + c.t.text.size()) f = static_cast<float>(v);
    return big_endian(std::bit_cast<uint32_t>(f), 4);
  }
  return big_endian(std::bit_cast<uint64_t>(v), 8);
}

result<bytes> collection(const context& c) {
  const bool is_map = c.type.id == type_id::map;
  const bool empty_braces = c.t.what == kind::map && c.t.items.empty();
  if (c.type.id == type_id::list && c.t.what != kind::list) return c.wrong();
  if (c.type.id == type_id::set && c.t.what != kind::set && !empty_braces) return c.wrong();
  if (is_map && c.t.what != kind::map) return c.wrong();
  // Elements in the order the type keeps them: lists as written; sets and maps by key, no
  // duplicates (a later map entry wins).
  std::vector<std::pair<bytes, std::pair<bytes, bytes>>> sorted;  // order key -> (key, value)
  std::vector<bytes> list;
  const size_t step = is_map ? 2 : 1;
  for (size_t i = 0; i + step - 1 < c.t.items.size(); i += step) {
    if (c.t.items[i].what == kind::null) {
      return make_error(errc::invalid, fmt::format("null is not allowed inside \"{}\"", c.column));
    }
    bytes element = SLUICE_TRY(literal_value(c.t.items[i], c.type.params[0], c.column));
    if (c.type.id == type_id::list) {
      list.push_back(std::move(element));
      continue;
    }
    byte_writer order;
    if (auto ok = cql::encode_key_component(c.type.params[0], element, false, order); !ok) {
      return make_error(errc::invalid, ok.error().message);
    }
    bytes value =
        is_map ? SLUICE_TRY(literal_value(c.t.items[i + 1], c.type.params[1], c.column)) : bytes{};
    bytes key(order.view().begin(), order.view().end());
    auto it = std::ranges::find(sorted, key, &decltype(sorted)::value_type::first);
    if (it != sorted.end()) {
      it->second.second = std::move(value);
    } else {
      sorted.push_back({std::move(key), {std::move(element), std::move(value)}});
    }
  }
  std::ranges::sort(sorted, {}, &decltype(sorted)::value_type::first);
  byte_writer w;
  w.write_i32(static_cast<int32_t>(c.type.id == type_id::list ? list.size() : sorted.size()));
  auto put = [&](const bytes& b) {
    w.write_i32(static_cast<int32_t>(b.size()));
    w.write_bytes(b);
  };
  for (const auto& e : list) put(e);
  for (const auto& [order, kv] : sorted) {
    put(kv.first);
    if (is_map) put(kv.second);
  }
  return bytes(w.view().begin(), w.view().end());
}

result<bytes> convert(const context& c) {
  const auto& t = c.t;
  if (t.what == kind::bind) return c.wrong("bind markers are bound by the caller");
  if (t.what == kind::null)
    return make_error(errc::invalid, fmt::format("null is not a value for \"{}\" here", c.column));
  if (t.what == kind::function) return function_value(c);
  switch (c.type.id) {
    case type_id::tinyint: return integer<int8_t>(c, 1);
    case type_id::smallint: return integer<int16_t>(c, 2);
    case type_id::int_: return integer<int32_t>(c, 4);
    case type_id::bigint:
    case type_id::counter: return integer<int64_t>(c, 8);
    case type_id::float_:
    case type_id::double_: return floating(c);
    case type_id::varint:
      if (t.what != kind::integer) return c.wrong();
      return varint_bytes(t.text);
    case type_id::decimal:
      if (t.what != kind::integer && t.what != kind::floating) return c.wrong();
      if (auto d = decimal_bytes(t.text)) return d;
      return c.wrong();
    case type_id::boolean:
      if (t.what != kind::boolean) return c.wrong();
      return bytes{static_cast<uint8_t>(t.text == "true" ? 1 : 0)};
    case type_id::ascii:
    case type_id::varchar:
      if (t.what != kind::string) return c.wrong();
      return bytes(t.text.begin(), t.text.end());
    case type_id::blob:
      if (t.what != kind::blob) return c.wrong();
      return hex_bytes(t.text);
    case type_id::uuid:
    case type_id::timeuuid:
      if (t.what != kind::uuid) return c.wrong();
      return uuid_bytes(t.text);
    case type_id::timestamp: {
      if (t.what == kind::integer) return integer<int64_t>(c, 8);
      if (t.what != kind::string) return c.wrong();
      auto ms = cql::parse_timestamp(t.text);
      if (!ms) return c.wrong(ms.error().message);
      return big_endian(static_cast<uint64_t>(*ms), 8);
    }
    case type_id::date: {
      if (t.what == kind::integer) return integer<uint32_t>(c, 4);
      if (t.what != kind::string) return c.wrong();
      auto days = cql::parse_date(t.text);
      if (!days) return c.wrong("expected yyyy-mm-dd");
      return big_endian(static_cast<uint32_t>(*days + (int64_t{1} << 31)), 4);
    }
    case type_id::time: {
      if (t.what == kind::integer) return integer<int64_t>(c, 8);
      if (t.what != kind::string) return c.wrong();
      auto nanos = cql::parse_time(t.text);
      if (!nanos) return c.wrong("expected hh:mm:ss[.fffffffff]");
      return big_endian(static_cast<uint64_t>(*nanos), 8);
    }
    case type_id::inet: {
      if (t.what != kind::string) return c.wrong();
      bytes out(16);
      if (inet_pton(AF_INET, t.text.c_str(), out.data()) == 1)
        return bytes(out.begin(), out.begin() + 4);
      if (inet_pton(AF_INET6, t.text.c_str(), out.data()) == 1) return out;
      return c.wrong("not an IP address");
    }
    case type_id::list:
    case type_id::set:
    case type_id::map: return collection(c);
    default: return c.wrong();
  }
}

}  // namespace

std::vector<uint8_t> new_uuid(bool time_based) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::vector<uint8_t> u(16);
  for (size_t i = 0; i < 16; i += 8) {
    const uint64_t r = rng();
    for (size_t k = 0; k < 8; ++k) u[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  if (time_based) {
    // 100 ns intervals since 1582-10-15, the UUID epoch.
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const uint64_t ts =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() /
                              100) +
        0x01B21DD213814000ULL;
    const auto low = big_endian(ts & 0xFFFFFFFF, 4), mid = big_endian((ts >> 32) & 0xFFFF, 2);
    std::ranges::copy(low, u.begin());
    std::ranges::copy(mid, u.begin() + 4);
    u[6] = static_cast<uint8_t>(0x10 | ((ts >> 56) & 0x0F));
    u[7] = static_cast<uint8_t>(ts >> 48);
  } else {
    u[6] = static_cast<uint8_t>((u[6] & 0x0F) | 0x40);
  }
  u[8] = static_cast<uint8_t>((u[8] & 0x3F) | 0x80);
  return u;
}

result<std::vector<uint8_t>> literal_value(const parser::term& t, const cql::data_type& type,
                                           std::string_view column) {
  const context c{t, type, column};
  bytes out = SLUICE_TRY(convert(c));
  if (auto ok = type.validate(out); !ok) return c.wrong(ok.error().message);
  return out;
}

std::vector<uint8_t> normalize_collection(const cql::data_type& type, bytes_view value) {
  if (type.id != type_id::set && type.id != type_id::map) return {value.begin(), value.end()};
  const bool is_map = type.id == type_id::map;
  struct entry {
    std::string order;
    bytes_view key;
    bytes_view value;
    size_t index;
  };
  std::vector<entry> entries;
  byte_reader r(value);
  const int32_t n = r.read_i32().value_or(0);
  for (int32_t i = 0; i < n; ++i) {
    entry e;
    auto read = [&]() -> bytes_view {
      const int32_t len = r.read_i32().value_or(0);
      return r.read_bytes(static_cast<size_t>(std::max(len, 0))).value_or(bytes_view{});
    };
    e.key = read();
    if (is_map) e.value = read();
    byte_writer order;
    if (!cql::encode_key_component(type.params[0], e.key, false, order)) {
      return {value.begin(), value.end()};
    }
    e.order.assign(as_string_view(order.view()));
    e.index = static_cast<size_t>(i);
    entries.push_back(e);
  }
  // By key, and for equal keys the later entry last, so that it is the one kept.
  std::ranges::sort(entries, [](const entry& a, const entry& b) {
    return a.order != b.order ? a.order < b.order : a.index < b.index;
  });
  std::vector<entry> kept;
  for (auto& e : entries) {
    if (!kept.empty() && kept.back().order == e.order) {
      kept.back() = e;
    } else {
      kept.push_back(e);
    }
  }
  byte_writer w(value.size());
  w.write_i32(static_cast<int32_t>(kept.size()));
  for (const auto& e : kept) {
    w.write_i32(static_cast<int32_t>(e.key.size()));
    w.write_bytes(e.key);
    if (is_map) {
      w.write_i32(static_cast<int32_t>(e.value.size()));
      w.write_bytes(e.value);
    }
  }
  return std::move(w).take();
}

}  // namespace sluice::store
