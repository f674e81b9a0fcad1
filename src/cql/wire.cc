#include "cql/wire.h"

#include <fmt/format.h>

#include "cql/frame.h"

namespace sluice::cql::wire {
namespace {

std::unexpected<error> malformed(std::string what) {
  return make_error(errc::malformed, std::move(what));
}

// A count of elements that each take at least `min_bytes`: more than the body holds is a lie.
result<uint16_t> read_count(byte_reader& r, size_t min_bytes, std::string_view what) {
  const uint16_t n = SLUICE_TRY(r.read_u16());
  if (static_cast<size_t>(n) * min_bytes > r.remaining()) {
    return malformed(fmt::format("{} of {} entries in {} bytes", what, n, r.remaining()));
  }
  return n;
}

}  // namespace

result<std::string_view> read_string(byte_reader& r) {
  const uint16_t n = SLUICE_TRY(r.read_u16());
  const bytes_view b = SLUICE_TRY(r.read_bytes(n));
  return as_string_view(b);
}

result<std::string_view> read_long_string(byte_reader& r) {
  const int32_t n = SLUICE_TRY(r.read_i32());
  if (n < 0) return malformed(fmt::format("long string of length {}", n));
  const bytes_view b = SLUICE_TRY(r.read_bytes(static_cast<size_t>(n)));
  return as_string_view(b);
}

result<std::optional<bytes_view>> read_bytes(byte_reader& r) {
  const int32_t n = SLUICE_TRY(r.read_i32());
  if (n < 0) return std::optional<bytes_view>{};
  return std::optional<bytes_view>(SLUICE_TRY(r.read_bytes(static_cast<size_t>(n))));
}

result<bytes_view> read_short_bytes(byte_reader& r) {
  const uint16_t n = SLUICE_TRY(r.read_u16());
  return r.read_bytes(n);
}

result<value> read_value(byte_reader& r) {
  const int32_t n = SLUICE_TRY(r.read_i32());
  if (n == -1) return value{value::null, {}};
  if (n == -2) return value{value::unset, {}};
  if (n < 0) return malformed(fmt::format("value of length {}", n));
  return value{value::set, SLUICE_TRY(r.read_bytes(static_cast<size_t>(n)))};
}

result<std::vector<std::string>> read_string_list(byte_reader& r) {
  const uint16_t n = SLUICE_TRY(read_count(r, 2, "string list"));
  std::vector<std::string> out;
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) out.emplace_back(SLUICE_TRY(read_string(r)));
  return out;
}

result<string_map> read_string_map(byte_reader& r) {
  const uint16_t n = SLUICE_TRY(read_count(r, 4, "string map"));
  string_map out;
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    std::string k(SLUICE_TRY(read_string(r)));
    std::string v(SLUICE_TRY(read_string(r)));
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

result<string_multimap> read_string_multimap(byte_reader& r) {
  const uint16_t n = SLUICE_TRY(read_count(r, 4, "string multimap"));
  string_multimap out;
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    std::string k(SLUICE_TRY(read_string(r)));
    out.emplace_back(std::move(k), SLUICE_TRY(read_string_list(r)));
  }
  return out;
}

result<consistency> read_consistency(byte_reader& r) {
  const uint16_t c = SLUICE_TRY(r.read_u16());
  if (c > static_cast<uint16_t>(consistency::local_one)) {
    return malformed(fmt::format("consistency level {}", c));
  }
  return static_cast<consistency>(c);
}

result<std::array<uint8_t, 16>> read_uuid(byte_reader& r) {
  const bytes_view b = SLUICE_TRY(r.read_bytes(16));
  std::array<uint8_t, 16> u{};
  std::copy(b.begin(), b.end(), u.begin());
  return u;
}

result<inet> read_inet(byte_reader& r) {
  const uint8_t size = SLUICE_TRY(r.read_u8());
  if (size != 4 && size != 16) return malformed(fmt::format("inet address of {} bytes", size));
  const bytes_view a = SLUICE_TRY(r.read_bytes(size));
  inet out{{a.begin(), a.end()}, 0};
  out.port = SLUICE_TRY(r.read_i32());
  return out;
}

void write_string(byte_writer& w, std::string_view s) {
  w.write_u16(static_cast<uint16_t>(s.size()));
  w.write_bytes(s);
}

void write_long_string(byte_writer& w, std::string_view s) {
  w.write_i32(static_cast<int32_t>(s.size()));
  w.write_bytes(s);
}

void write_bytes(byte_writer& w, std::optional<bytes_view> b) {
  if (!b) {
    w.write_i32(-1);
    return;
  }
  w.write_i32(static_cast<int32_t>(b->size()));
  w.write_bytes(*b);
}

void write_short_bytes(byte_writer& w, bytes_view b) {
  w.write_u16(static_cast<uint16_t>(b.size()));
  w.write_bytes(b);
}

void write_value(byte_writer& w, const value& v) {
  switch (v.what) {
    case value::null: w.write_i32(-1); return;
    case value::unset: w.write_i32(-2); return;
    case value::set: write_bytes(w, v.bytes); return;
  }
}

void write_string_list(byte_writer& w, const std::vector<std::string>& l) {
  w.write_u16(static_cast<uint16_t>(l.size()));
  for (const auto& s : l) write_string(w, s);
}

void write_string_map(byte_writer& w, const string_map& m) {
  w.write_u16(static_cast<uint16_t>(m.size()));
  for (const auto& [k, v] : m) {
    write_string(w, k);
    write_string(w, v);
  }
}

void write_string_multimap(byte_writer& w, const string_multimap& m) {
  w.write_u16(static_cast<uint16_t>(m.size()));
  for (const auto& [k, l] : m) {
    write_string(w, k);
    write_string_list(w, l);
  }
}

void write_consistency(byte_writer& w, consistency c) { w.write_u16(static_cast<uint16_t>(c)); }

void write_uuid(byte_writer& w, const std::array<uint8_t, 16>& u) { w.write_bytes(u); }

void write_inet(byte_writer& w, const inet& a) {
  w.write_u8(static_cast<uint8_t>(a.address.size()));
  w.write_bytes(a.address);
  w.write_i32(a.port);
}

}  // namespace sluice::cql::wire
