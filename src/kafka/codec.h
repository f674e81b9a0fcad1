// The one generic codec for Kafka messages. A message is a plain struct that declares its fields
// once, in order, with the versions each appears in:
//
//   struct metadata_request {
//     std::optional<std::vector<topic>> topics;
//     bool allow_auto_topic_creation = true;
//     static constexpr versions valid = between(0, 8), flexible = since(9);
//     static constexpr auto fields() {
//       return std::tuple{field("topics", &metadata_request::topics, since(0), since(1)),
//                         field("allow_auto_topic_creation", ..., since(4))};
//     }
//   };
//
// decode() and encode() walk those declarations for a given version: a field absent at that
// version keeps its default; strings, bytes and arrays use the compact forms in flexible versions;
// nullable fields are std::optional, and null is accepted only in the field's nullable versions.
// Decoding never reads past the frame and rejects array counts the frame cannot hold, so a
// hostile length cannot make the broker allocate. Pure functions; thread-safe.
#pragma once

#include <array>
#include <concepts>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "base/bytes.h"
#include "base/strong_type.h"
#include "kafka/api.h"

namespace sluice::kafka {

// The layout of one message at one version.
struct layout {
  int16_t version = 0;
  bool flexible = false;
};

template <class C, class T>
struct field_decl {
  std::string_view name;
  T C::* member;
  versions present;
  versions nullable;
};

template <class C, class T>
constexpr field_decl<C, T> field(std::string_view name, T C::* member, versions present,
                                 versions nullable = never) {
  return {name, member, present, nullable};
}

template <class S>
concept message_struct = requires { S::fields(); };

struct uuid {
  std::array<uint8_t, 16> bytes{};
  bool operator==(const uuid&) const = default;
};

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

std::unexpected<error> malformed(std::string message);

// Lengths of strings, bytes and arrays: -1 means null.
result<int32_t> read_string_length(byte_reader& r, layout l);
result<int32_t> read_bytes_length(byte_reader& r, layout l);
result<int32_t> read_array_length(byte_reader& r, layout l);
void write_string_length(byte_writer& w, layout l, int32_t n);
void write_bytes_length(byte_writer& w, layout l, int32_t n);
void write_array_length(byte_writer& w, layout l, int32_t n);
result<void> skip_tagged_fields(byte_reader& r);

}  // namespace detail

// --- reading ------------------------------------------------------------------------------------
inline result<void> read_value(byte_reader& r, layout, int8_t& v) {
  v = SLUICE_TRY(r.read_i8());
  return {};
}
inline result<void> read_value(byte_reader& r, layout, int16_t& v) {
  v = SLUICE_TRY(r.read_i16());
  return {};
}
inline result<void> read_value(byte_reader& r, layout, int32_t& v) {
  v = SLUICE_TRY(r.read_i32());
  return {};
}
inline result<void> read_value(byte_reader& r, layout, int64_t& v) {
  v = SLUICE_TRY(r.read_i64());
  return {};
}
inline result<void> read_value(byte_reader& r, layout, bool& v) {
  v = SLUICE_TRY(r.read_i8()) != 0;
  return {};
}
inline result<void> read_value(byte_reader& r, layout, double& v) {
  v = SLUICE_TRY(r.read_f64());
  return {};
}
template <class E>
  requires std::is_enum_v<E>
result<void> read_value(byte_reader& r, layout l, E& v) {
  std::underlying_type_t<E> raw{};
  SLUICE_TRY(read_value(r, l, raw));
  v = static_cast<E>(raw);
  return {};
}
template <class T, class Tag>
result<void> read_value(byte_reader& r, layout l, named_type<T, Tag>& v) {
  T raw{};
  SLUICE_TRY(read_value(r, l, raw));
  v = named_type<T, Tag>(raw);
  return {};
}
result<void> read_value(byte_reader& r, layout l, uuid& v);
result<void> read_value(byte_reader& r, layout l, std::string& v);
result<void> read_value(byte_reader& r, layout l, std::optional<std::string>& v);
result<void> read_value(byte_reader& r, layout l, bytes_view& v);
result<void> read_value(byte_reader& r, layout l, std::optional<bytes_view>& v);

template <message_struct S>
result<void> read_value(byte_reader& r, layout l, S& s);

// Reads `n` elements after their count; the bounds check is here, for both array forms.
template <class T>
result<void> read_elements(byte_reader& r, layout l, int32_t n, std::vector<T>& v) {
  // Every element takes at least one byte, so a count above the bytes left is a lie.
  if (static_cast<size_t>(n) > r.remaining()) {
    return detail::malformed(fmt::format("array of {} elements in {} bytes", n, r.remaining()));
  }
  // Grow as elements actually decode: memory follows the bytes received, not the count claimed.
  v.clear();
  v.reserve(std::min<size_t>(static_cast<size_t>(n), 64));
  for (int32_t i = 0; i < n; ++i) {
    auto res = read_value(r, l, v.emplace_back());
    if (!res) return std::unexpected(std::move(res).error().with_context(fmt::format("[{}]", i)));
  }
  return {};
}

template <class T>
result<void> read_value(byte_reader& r, layout l, std::vector<T>& v) {
  const int32_t n = SLUICE_TRY(detail::read_array_length(r, l));
  if (n < 0) return detail::malformed("null array where none is allowed");
  return read_elements(r, l, n, v);
}

template <class T>
result<void> read_value(byte_reader& r, layout l, std::optional<std::vector<T>>& v) {
  const int32_t n = SLUICE_TRY(detail::read_array_length(r, l));
  if (n < 0) {
    v.reset();
    return {};
  }
  v.emplace();
  return read_elements(r, l, n, *v);
}

template <class C, class T>
result<void> read_field(byte_reader& r, layout l, const field_decl<C, T>& f, C& obj) {
  if (!f.present.contains(l.version)) return {};
  auto res = read_value(r, l, obj.*(f.member));
  if (!res) return std::unexpected(std::move(res).error().with_context(f.name));
  if constexpr (detail::is_optional<T>::value) {
    if (!(obj.*(f.member)) && !f.nullable.contains(l.version)) {
      return detail::malformed(
          fmt::format("{}: null is not allowed at version {}", f.name, l.version));
    }
  }
  return {};
}

template <message_struct S>
result<void> read_value(byte_reader& r, layout l, S& s) {
  result<void> res;
  std::apply([&](const auto&... f) { ((res = res ? read_field(r, l, f, s) : res), ...); },
             S::fields());
  if (res && l.flexible) res = detail::skip_tagged_fields(r);
  return res;
}

// --- writing ------------------------------------------------------------------------------------
inline void write_value(byte_writer& w, layout, int8_t v) { w.write_i8(v); }
inline void write_value(byte_writer& w, layout, int16_t v) { w.write_i16(v); }
inline void write_value(byte_writer& w, layout, int32_t v) { w.write_i32(v); }
inline void write_value(byte_writer& w, layout, int64_t v) { w.write_i64(v); }
inline void write_value(byte_writer& w, layout, bool v) { w.write_i8(v ? 1 : 0); }
inline void write_value(byte_writer& w, layout, double v) { w.write_f64(v); }
template <class E>
  requires std::is_enum_v<E>
void write_value(byte_writer& w, layout l, E v) {
  write_value(w, l, static_cast<std::underlying_type_t<E>>(v));
}
template <class T, class Tag>
void write_value(byte_writer& w, layout l, named_type<T, Tag> v) {
  write_value(w, l, v.value());
}
void write_value(byte_writer& w, layout l, const uuid& v);
void write_value(byte_writer& w, layout l, const std::string& v);
void write_value(byte_writer& w, layout l, const std::optional<std::string>& v);
void write_value(byte_writer& w, layout l, bytes_view v);
void write_value(byte_writer& w, layout l, const std::optional<bytes_view>& v);

template <message_struct S>
void write_value(byte_writer& w, layout l, const S& s);

template <class T>
void write_value(byte_writer& w, layout l, const std::vector<T>& v) {
  detail::write_array_length(w, l, static_cast<int32_t>(v.size()));
  for (const T& e : v) write_value(w, l, e);
}

template <class T>
void write_value(byte_writer& w, layout l, const std::optional<std::vector<T>>& v) {
  if (!v) {
    detail::write_array_length(w, l, -1);
    return;
  }
  write_value(w, l, *v);
}

template <message_struct S>
void write_value(byte_writer& w, layout l, const S& s) {
  std::apply(
      [&](const auto&... f) {
        ((f.present.contains(l.version) ? write_value(w, l, s.*(f.member)) : void()), ...);
      },
      S::fields());
  if (l.flexible) w.write_unsigned_varint(0);  // no tagged fields
}

// --- messages -----------------------------------------------------------------------------------
// A top-level message declares `valid` and `flexible` version ranges.
template <class M>
concept versioned_message = message_struct<M> && requires {
  { M::valid } -> std::convertible_to<versions>;
  { M::flexible } -> std::convertible_to<versions>;
};

template <versioned_message M>
constexpr layout layout_of(int16_t version) {
  return {version, M::flexible.contains(version)};
}

// Decodes one message from `r`, leaving `r` after it.
template <versioned_message M>
result<M> decode_from(byte_reader& r, int16_t version) {
  if (!M::valid.contains(version)) {
    return make_error(errc::unsupported_version, fmt::format("version {}", version));
  }
  M m;
  SLUICE_TRY(read_value(r, layout_of<M>(version), m));
  return m;
}

// Decodes a whole message body; bytes left over are an error (they mean a version mismatch).
template <versioned_message M>
result<M> decode(bytes_view body, int16_t version) {
  byte_reader r(body);
  M m = SLUICE_TRY(decode_from<M>(r, version));
  if (!r.empty()) return detail::malformed(fmt::format("{} trailing byte(s)", r.remaining()));
  return m;
}

// As decode(), but bytes after the message are ignored (as Kafka's own parser does). Only for
// requests that a widely deployed client is known to pad: see the callers.
template <versioned_message M>
result<M> decode_ignoring_trailing_bytes(bytes_view body, int16_t version) {
  byte_reader r(body);
  return decode_from<M>(r, version);
}

template <versioned_message M>
void encode(byte_writer& w, int16_t version, const M& m) {
  write_value(w, layout_of<M>(version), m);
}

}  // namespace sluice::kafka
