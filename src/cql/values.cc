#include "cql/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>

#include <fmt/format.h>

namespace sluice::cql {
namespace {

using bytes = std::vector<uint8_t>;

std::unexpected<error> bad(std::string_view type, std::string message) {
  return make_error(errc::invalid_value, fmt::format("invalid {} value: {}", type, message));
}

// Validates a value of a type without parameters.
result<void> check(type_id id, bytes_view v) { return data_type{id, {}}.validate(v); }

template <size_t N>
using uint_of_size = std::conditional_t<
    N == 1, uint8_t,
    std::conditional_t<N == 2, uint16_t, std::conditional_t<N == 4, uint32_t, uint64_t>>>;

// A fixed-size value, big-endian.
template <class T>
bytes fixed_bytes(T v) {
  const auto u = std::bit_cast<uint_of_size<sizeof(T)>>(v);
  bytes out(sizeof(T));
  for (size_t i = 0; i < sizeof(T); ++i)
    out[i] = static_cast<uint8_t>(u >> (8 * (sizeof(T) - 1 - i)));
  return out;
}

template <class T>
result<T> fixed_value(bytes_view v, std::string_view type) {
  if (v.size() != sizeof(T)) {
    return bad(type, fmt::format("expected {} bytes, got {}", sizeof(T), v.size()));
  }
  uint_of_size<sizeof(T)> u = 0;
  for (uint8_t b : v) u = static_cast<decltype(u)>((static_cast<uint64_t>(u) << 8) | b);
  return std::bit_cast<T>(u);
}

// Drops leading bytes that only repeat the sign of a big-endian two's complement number.
void minimize(bytes& be) {
  size_t skip = 0;
  while (skip + 1 < be.size() && ((be[skip] == 0x00 && be[skip + 1] < 0x80) ||
                                  (be[skip] == 0xFF && be[skip + 1] >= 0x80))) {
    ++skip;
  }
  be.erase(be.begin(), be.begin() + static_cast<ptrdiff_t>(skip));
}

// Two's complement negation in place, big-endian.
void negate(bytes& be) {
  for (auto& b : be) b = static_cast<uint8_t>(~b);
  for (size_t i = be.size(); i-- > 0;) {
    if (++be[i] != 0) break;
  }
}

bool all_digits(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

// Decimal digits (no sign) as a big-endian two's complement varint of the given sign.
bytes varint_of_digits(std::string_view digits, bool negative) {
  bytes le{0};  // the magnitude, little-endian
  auto mul_add = [&le](uint32_t mul, uint32_t add) {
    uint64_t carry = add;
    for (auto& b : le) {
      const uint64_t x = uint64_t{b} * mul + carry;
      b = static_cast<uint8_t>(x);
      carry = x >> 8;
    }
    for (; carry != 0; carry >>= 8) le.push_back(static_cast<uint8_t>(carry));
  };
  for (size_t i = 0; i < digits.size(); i += 9) {
    const std::string_view chunk = digits.substr(i, 9);
    uint32_t mul = 1, add = 0;
    for (char c : chunk) {
      mul *= 10;
      add = add * 10 + static_cast<uint32_t>(c - '0');
    }
    mul_add(mul, add);
  }
  le.push_back(0);  // room for the sign bit
  bytes be(le.rbegin(), le.rend());
  if (negative) negate(be);
  minimize(be);
  return be;
}

// The magnitude of a big-endian two's complement number as decimal digits.
std::string digits_of_magnitude(bytes mag) {
  std::vector<uint32_t> chunks;  // base 10^9, least significant first
  size_t start = 0;
  for (;;) {
    while (start < mag.size() && mag[start] == 0) ++start;
    if (start == mag.size()) break;
    uint64_t rem = 0;
    for (size_t i = start; i < mag.size(); ++i) {
      const uint64_t cur = (rem << 8) | mag[i];
      mag[i] = static_cast<uint8_t>(cur / 1'000'000'000);
      rem = cur % 1'000'000'000;
    }
    chunks.push_back(static_cast<uint32_t>(rem));
  }
  if (chunks.empty()) return "0";
  std::string out = fmt::format("{}", chunks.back());
  for (size_t i = chunks.size() - 1; i-- > 0;) out += fmt::format("{:09}", chunks[i]);
  return out;
}

// (negative, digits) of a varint.
std::pair<bool, std::string> varint_parts(bytes_view v) {
  bytes mag(v.begin(), v.end());
  const bool negative = (mag[0] & 0x80) != 0;
  if (negative) negate(mag);  // as unsigned: 0x80 negated is 0x80, 128
  return {negative, digits_of_magnitude(std::move(mag))};
}

// Java's BigDecimal.toString of unscaled digits and a scale.
std::string decimal_text(bool negative, const std::string& digits, int32_t scale) {
  const auto n = static_cast<int64_t>(digits.size());
  const int64_t adjusted = -int64_t{scale} + (n - 1);
  std::string out = negative ? "-" : "";
  if (scale == 0) return out + digits;
  if (scale > 0 && adjusted >= -6) {
    if (n > scale) {
      const auto point = static_cast<size_t>(n - scale);
      return out + digits.substr(0, point) + "." + digits.substr(point);
    }
    return out + "0." + std::string(static_cast<size_t>(scale - n), '0') + digits;
  }
  out += digits[0];
  if (n > 1) out += "." + digits.substr(1);
  return out +
         fmt::format("E{}{}", adjusted >= 0 ? "+" : "-", adjusted >= 0 ? adjusted : -adjusted);
}

// Elements of a collection (two per entry for maps), as views into `v`.
result<std::vector<bytes_view>> elements(bytes_view v, size_t per, std::string_view type) {
  byte_reader r(v);
  auto n = r.read_i32();
  if (!n || *n < 0) return bad(type, "no element count");
  if (static_cast<uint64_t>(*n) * per * 4 > r.remaining()) {
    return bad(type, fmt::format("{} elements in {} bytes", *n, r.remaining()));
  }
  std::vector<bytes_view> out;
  out.reserve(static_cast<size_t>(*n) * per);
  for (size_t i = 0; i < static_cast<size_t>(*n) * per; ++i) {
    auto len = r.read_i32();
    if (!len || *len < 0) return bad(type, "a null or missing element");
    auto e = r.read_bytes(static_cast<size_t>(*len));
    if (!e) return bad(type, "an element runs past the value");
    out.push_back(*e);
  }
  if (!r.empty()) return bad(type, fmt::format("{} bytes after the elements", r.remaining()));
  return out;
}

bytes collection(const std::vector<bytes>& flat, size_t count) {
  byte_writer w;
  w.write_i32(static_cast<int32_t>(count));
  for (const bytes& e : flat) {
    w.write_i32(static_cast<int32_t>(e.size()));
    w.write_bytes(e);
  }
  return std::move(w).take();
}

// A table rather than comparisons: random hex digits (UUIDs) would mispredict every other branch.
constexpr std::array<int8_t, 256> hex_digits = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<size_t>(c)] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<size_t>(c)] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}();

int hex_digit(char c) { return hex_digits[static_cast<unsigned char>(c)]; }

std::string hex(bytes_view v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "0x";
  out.reserve(2 + 2 * v.size());
  for (uint8_t b : v) {
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

// --- Formatting helpers ---

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year;
using std::chrono::year_month_day;

constexpr int64_t ms_per_day = 86'400'000;
// Years 1-9999, the range both the literal forms and cqlsh's dates cover.
constexpr int64_t first_day = sys_days(year{1} / 1 / 1).time_since_epoch().count();
constexpr int64_t last_day = sys_days(year{9999} / 12 / 31).time_since_epoch().count();

std::optional<year_month_day> civil(int64_t days_since_epoch) {
  if (days_since_epoch < first_day || days_since_epoch > last_day) return std::nullopt;
  return year_month_day{sys_days{days{days_since_epoch}}};
}

std::string date_text(const year_month_day& d) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                     static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
}

std::string quoted_if(std::string s, bool quote) { return quote ? "'" + s + "'" : s; }

// cqlsh's rendering of text: backslashes doubled, control characters (C0, DEL, U+0080-U+00A0)
// escaped as Python's repr() shows them.
std::string escape_for_display(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<uint8_t>(s[i + 1]) <= 0xA0) {
      out += fmt::format("\\x{:02x}", static_cast<uint8_t>(s[++i]));  // U+0080-U+00A0
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string text_value(std::string_view s, format_style style, bool quote) {
  std::string out;
  if (quote) {
    out.reserve(s.size() + 2);
    for (char c : s) {
      out += c;
      if (c == '\'') out += '\'';
    }
  } else {
    out = s;
  }
  if (style == format_style::display) out = escape_for_display(out);
  return quoted_if(std::move(out), quote);
}

std::string shortest(auto v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : fmt::format("{}", v);
}

template <class T>
std::string floating_text(T v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  std::string out = shortest(v);
  if constexpr (std::is_same_v<T, float>) {
    // A parser that reads float literals as double and then narrows them (sluice's store does)
    // rounds twice; for the rare float whose shortest text lands near a midpoint (7.038531e-26),
    // the text of the float's exact double value parses to it either way.
    double d = 0;
    std::from_chars(out.data(), out.data() + out.size(), d);
    if (std::bit_cast<uint32_t>(static_cast<float>(d)) != std::bit_cast<uint32_t>(v)) {
      out = shortest(static_cast<double>(v));
    }
  }
  return out;
}

std::string timestamp_value(int64_t ms, format_style style, bool quote) {
  int64_t day_number = ms / ms_per_day;
  int64_t rem = ms % ms_per_day;
  if (rem < 0) {
    --day_number;
    rem += ms_per_day;
  }
  const auto d = civil(day_number);
  if (!d) return fmt::format("{}", ms);  // an integer literal is a timestamp too
  const int64_t secs = rem / 1000;
  const std::string fraction = style == format_style::display ? fmt::format("{:03}000", rem % 1000)
                                                              : fmt::format("{:03}", rem % 1000);
  return quoted_if(fmt::format("{} {:02}:{:02}:{:02}.{}+0000", date_text(*d), secs / 3600,
                               secs / 60 % 60, secs % 60, fraction),
                   quote);
}

std::string date_value(int32_t days_since_epoch, format_style style, bool quote) {
  const auto d = civil(days_since_epoch);
  if (d) return quoted_if(date_text(*d), quote);
  if (style == format_style::display) return fmt::format("{}", days_since_epoch);
  return fmt::format("{}", static_cast<uint32_t>(days_since_epoch) ^ 0x8000'0000u);
}

std::string time_value(int64_t nanos, bool quote) {
  const int64_t secs = nanos / 1'000'000'000;
  return quoted_if(fmt::format("{:02}:{:02}:{:02}.{:09}", secs / 3600, secs / 60 % 60, secs % 60,
                               nanos % 1'000'000'000),
                   quote);
}

std::optional<std::string> inet_text(bytes_view address) {
  char buf[INET6_ADDRSTRLEN] = {};
  const int family = address.size() == 4 ? AF_INET : AF_INET6;
  if (inet_ntop(family, address.data(), buf, sizeof buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

std::string invalid(const data_type& type, bytes_view value) {
  return fmt::format("{} /* invalid {} */", hex(value), type.name());
}

std::optional<std::string> format_valid(const data_type& type, bytes_view v, format_style style,
                                        bool nested);

std::optional<std::string> format_collection(const data_type& type, bytes_view v,
                                             format_style style) {
  const bool is_map = type.id == type_id::map;
  auto items = elements(v, is_map ? 2 : 1, type.name());
  if (!items) return std::nullopt;
  std::string out = type.id == type_id::list ? "[" : "{";
  for (size_t i = 0; i < items->size(); ++i) {
    if (i > 0) out += is_map && i % 2 == 1 ? ": " : ", ";
    auto e = format_valid(type.params[is_map ? i % 2 : 0], (*items)[i], style, true);
    if (!e) return std::nullopt;
    out += *e;
  }
  return out + (type.id == type_id::list ? "]" : "}");
}

// `v` is valid for `type`; nullopt if a decoder disagrees all the same.
std::optional<std::string> format_valid(const data_type& type, bytes_view v, format_style style,
                                        bool nested) {
  const bool quote = style == format_style::cql || nested;
  // The decoded value through `f`, or nullopt.
  auto then = [](auto&& r, auto&& f) -> std::optional<std::string> {
    if (!r) return std::nullopt;
    return f(*r);
  };
  auto plain = [](auto x) { return fmt::format("{}", x); };
  switch (type.id) {
    case type_id::ascii:
    case type_id::varchar: return text_value(as_string_view(v), style, quote);
    case type_id::boolean: return v[0] != 0 ? "true" : "false";
    case type_id::tinyint: return then(decode_tinyint(v), plain);
    case type_id::smallint: return then(decode_smallint(v), plain);
    case type_id::int_: return then(decode_int(v), plain);
    case type_id::bigint:
    case type_id::counter: return then(decode_bigint(v), plain);
    case type_id::float_: return then(decode_float(v), floating_text<float>);
    case type_id::double_: return then(decode_double(v), floating_text<double>);
    case type_id::varint: return then(decode_varint(v), std::identity{});
    case type_id::decimal: return then(decode_decimal(v), std::identity{});
    case type_id::uuid:
    case type_id::timeuuid: return then(decode_uuid(v), format_uuid);
    case type_id::timestamp:
      return then(decode_timestamp(v),
                  [&](int64_t ms) { return timestamp_value(ms, style, quote); });
    case type_id::date:
      return then(decode_date(v), [&](int32_t d) { return date_value(d, style, quote); });
    case type_id::time:
      return then(decode_time(v), [&](int64_t ns) { return time_value(ns, quote); });
    case type_id::inet: {
      auto t = inet_text(v);
      if (!t) return std::nullopt;
      return quoted_if(std::move(*t), quote);
    }
    case type_id::list:
    case type_id::set:
    case type_id::map: return format_collection(type, v, style);
    default: return hex(v);  // blob, custom
  }
}

}  // namespace

// --- Encoders ---

bytes encode_ascii(std::string_view s) { return {s.begin(), s.end()}; }
bytes encode_text(std::string_view s) { return {s.begin(), s.end()}; }

result<bytes> encode_text_checked(std::string_view s) {
  SLUICE_TRY(check(type_id::varchar, as_bytes_view(s)));
  return encode_text(s);
}

bytes encode_bigint(int64_t v) { return fixed_bytes(v); }
bytes encode_counter(int64_t v) { return fixed_bytes(v); }
bytes encode_int(int32_t v) { return fixed_bytes(v); }
bytes encode_smallint(int16_t v) { return fixed_bytes(v); }
bytes encode_tinyint(int8_t v) { return fixed_bytes(v); }
bytes encode_boolean(bool v) { return {static_cast<uint8_t>(v ? 1 : 0)}; }
bytes encode_float(float v) { return fixed_bytes(v); }
bytes encode_double(double v) { return fixed_bytes(v); }
bytes encode_timestamp(int64_t millis_since_epoch) { return fixed_bytes(millis_since_epoch); }

bytes encode_date(int32_t days_since_epoch) {
  return fixed_bytes(static_cast<uint32_t>(days_since_epoch) ^ 0x8000'0000u);
}

bytes encode_time(int64_t nanos_since_midnight) { return fixed_bytes(nanos_since_midnight); }
bytes encode_uuid(const uuid& u) { return {u.begin(), u.end()}; }
bytes encode_timeuuid(const uuid& u) { return {u.begin(), u.end()}; }
bytes encode_blob(bytes_view b) { return {b.begin(), b.end()}; }

result<bytes> encode_inet(bytes_view address) {
  if (address.size() != 4 && address.size() != 16) {
    return bad("inet", fmt::format("an address of {} bytes", address.size()));
  }
  return bytes(address.begin(), address.end());
}

bytes encode_varint(int64_t v) {
  bytes out = fixed_bytes(v);
  minimize(out);
  return out;
}

result<bytes> encode_varint(std::string_view decimal_integer) {
  std::string_view digits = decimal_integer;
  const bool negative = !digits.empty() && digits[0] == '-';
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (digits.empty() || !all_digits(digits)) {
    return bad("varint", fmt::format("'{}' is not an integer", decimal_integer));
  }
  return varint_of_digits(digits, negative);
}

result<bytes> encode_decimal(std::string_view text) {
  auto not_a_number = [&] { return bad("decimal", fmt::format("'{}' is not a number", text)); };
  std::string_view s = text;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  const size_t e = s.find_first_of("eE");
  const std::string_view mantissa = s.substr(0, e);
  const size_t point = mantissa.find('.');
  std::string digits(mantissa.substr(0, point));
  int64_t scale = 0;
  if (point != std::string_view::npos) {
    const std::string_view fraction = mantissa.substr(point + 1);
    digits += fraction;
    scale = static_cast<int64_t>(fraction.size());
  }
  if (digits.empty() || !all_digits(digits)) return not_a_number();
  if (e != std::string_view::npos) {
    std::string_view exp = s.substr(e + 1);
    if (!exp.empty() && exp[0] == '+') exp.remove_prefix(1);
    int64_t exponent = 0;
    const auto [p, ec] = std::from_chars(exp.data(), exp.data() + exp.size(), exponent);
    if (exp.empty() || ec != std::errc() || p != exp.data() + exp.size()) return not_a_number();
    if (exponent < -(int64_t{1} << 40) || exponent > (int64_t{1} << 40)) return not_a_number();
    scale -= exponent;
  }
  if (scale < std::numeric_limits<int32_t>::min() || scale > std::numeric_limits<int32_t>::max()) {
    return bad("decimal", fmt::format("the scale of '{}' does not fit 32 bits", text));
  }
  bytes out = fixed_bytes(static_cast<int32_t>(scale));
  const bytes unscaled = varint_of_digits(digits, negative);
  out.insert(out.end(), unscaled.begin(), unscaled.end());
  return out;
}

bytes encode_decimal(int64_t unscaled, int32_t scale) {
  bytes out = fixed_bytes(scale);
  const bytes u = encode_varint(unscaled);
  out.insert(out.end(), u.begin(), u.end());
  return out;
}

bytes encode_list(const std::vector<bytes>& elements) {
  return collection(elements, elements.size());
}
bytes encode_set(const std::vector<bytes>& elements) {
  return collection(elements, elements.size());
}

bytes encode_map(const std::vector<std::pair<bytes, bytes>>& entries) {
  byte_writer w;
  w.write_i32(static_cast<int32_t>(entries.size()));
  for (const auto& [k, v] : entries) {
    w.write_i32(static_cast<int32_t>(k.size()));
    w.write_bytes(k);
    w.write_i32(static_cast<int32_t>(v.size()));
    w.write_bytes(v);
  }
  return std::move(w).take();
}

result<uuid> parse_uuid(std::string_view text) {
  uuid out{};
  auto wrong = [&] { return bad("uuid", fmt::format("'{}' is not a UUID", text)); };
  if (text.size() != 36) return wrong();
  size_t n = 0;
  for (size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i++] != '-') return wrong();
      continue;
    }
    const int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return wrong();
    out[n++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

std::string format_uuid(const uuid& u) {
  const std::string h = hex(u).substr(2);
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

// --- Decoders ---

result<std::string_view> decode_ascii(bytes_view v) {
  SLUICE_TRY(check(type_id::ascii, v));
  return as_string_view(v);
}

result<std::string_view> decode_text(bytes_view v) {
  SLUICE_TRY(check(type_id::varchar, v));
  return as_string_view(v);
}

result<int64_t> decode_bigint(bytes_view v) { return fixed_value<int64_t>(v, "bigint"); }
result<int64_t> decode_counter(bytes_view v) { return fixed_value<int64_t>(v, "counter"); }
result<int32_t> decode_int(bytes_view v) { return fixed_value<int32_t>(v, "int"); }
result<int16_t> decode_smallint(bytes_view v) { return fixed_value<int16_t>(v, "smallint"); }
result<int8_t> decode_tinyint(bytes_view v) { return fixed_value<int8_t>(v, "tinyint"); }

result<bool> decode_boolean(bytes_view v) {
  return SLUICE_TRY(fixed_value<uint8_t>(v, "boolean")) != 0;
}

result<float> decode_float(bytes_view v) { return fixed_value<float>(v, "float"); }
result<double> decode_double(bytes_view v) { return fixed_value<double>(v, "double"); }
result<int64_t> decode_timestamp(bytes_view v) { return fixed_value<int64_t>(v, "timestamp"); }

result<int32_t> decode_date(bytes_view v) {
  return static_cast<int32_t>(SLUICE_TRY(fixed_value<uint32_t>(v, "date")) ^ 0x8000'0000u);
}

result<int64_t> decode_time(bytes_view v) {
  const int64_t nanos = SLUICE_TRY(fixed_value<int64_t>(v, "time"));
  if (nanos < 0 || nanos >= 86'400'000'000'000) {
    return bad("time", fmt::format("{} ns is not a time of day", nanos));
  }
  return nanos;
}

result<uuid> decode_uuid(bytes_view v) {
  if (v.size() != 16) return bad("uuid", fmt::format("expected 16 bytes, got {}", v.size()));
  uuid out;
  std::ranges::copy(v, out.begin());
  return out;
}

result<uuid> decode_timeuuid(bytes_view v) {
  SLUICE_TRY(check(type_id::timeuuid, v));
  return decode_uuid(v);
}

result<bytes_view> decode_inet(bytes_view v) {
  if (v.size() != 4 && v.size() != 16) {
    return bad("inet", fmt::format("an address of {} bytes", v.size()));
  }
  return v;
}

result<int64_t> decode_varint_int64(bytes_view v) {
  if (v.empty()) return bad("varint", "no bytes");
  bytes be(v.begin(), v.end());
  minimize(be);
  if (be.size() > 8) return bad("varint", "does not fit 64 bits");
  uint64_t u = (be[0] & 0x80) ? ~uint64_t{0} : 0;
  for (uint8_t b : be) u = (u << 8) | b;
  return static_cast<int64_t>(u);
}

result<std::string> decode_varint(bytes_view v) {
  if (v.empty()) return bad("varint", "no bytes");
  auto [negative, digits] = varint_parts(v);
  return negative ? "-" + digits : digits;
}

result<std::string> decode_decimal(bytes_view v) {
  if (v.size() < 5) return bad("decimal", "a scale and at least one byte of digits needed");
  const auto scale = *fixed_value<int32_t>(v.first(4), "decimal");
  auto [negative, digits] = varint_parts(v.subspan(4));
  return decimal_text(negative, digits, scale);
}

result<std::vector<bytes_view>> decode_list(bytes_view v) { return elements(v, 1, "list"); }
result<std::vector<bytes_view>> decode_set(bytes_view v) { return elements(v, 1, "set"); }

result<std::vector<std::pair<bytes_view, bytes_view>>> decode_map(bytes_view v) {
  const auto flat = SLUICE_TRY(elements(v, 2, "map"));
  std::vector<std::pair<bytes_view, bytes_view>> out;
  out.reserve(flat.size() / 2);
  for (size_t i = 0; i < flat.size(); i += 2) out.emplace_back(flat[i], flat[i + 1]);
  return out;
}

// --- Formatting ---

std::string format_value(const data_type& type, bytes_view value, format_style style) {
  const bool empty_is_value =
      type.id == type_id::ascii || type.id == type_id::varchar || type.id == type_id::blob;
  if (value.empty() && !empty_is_value) return "";
  if (!type.validate(value)) return invalid(type, value);
  auto out = format_valid(type, value, style, false);
  return out ? std::move(*out) : invalid(type, value);
}

}  // namespace sluice::cql
