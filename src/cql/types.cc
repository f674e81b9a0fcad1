#include "cql/types.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

namespace sluice::cql {
namespace {

struct named {
  std::string_view name;
  type_id id;
};

// Scalar names, with the name Cassandra shows first for each id.
constexpr named scalars[] = {
    {"ascii", type_id::ascii},       {"bigint", type_id::bigint},
    {"blob", type_id::blob},         {"boolean", type_id::boolean},
    {"counter", type_id::counter},   {"decimal", type_id::decimal},
    {"double", type_id::double_},    {"float", type_id::float_},
    {"int", type_id::int_},          {"timestamp", type_id::timestamp},
    {"uuid", type_id::uuid},         {"text", type_id::varchar},
    {"varchar", type_id::varchar},   {"varint", type_id::varint},
    {"timeuuid", type_id::timeuuid}, {"inet", type_id::inet},
    {"date", type_id::date},         {"time", type_id::time},
    {"smallint", type_id::smallint}, {"tinyint", type_id::tinyint},
};

std::unexpected<error> bad_type(std::string message) {
  return make_error(errc::invalid_type, std::move(message));
}
std::unexpected<error> bad_value(const data_type& t, std::string message) {
  return make_error(errc::invalid_value, fmt::format("invalid {} value: {}", t.name(), message));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Splits "a, map<b, c>" at its top-level commas.
std::vector<std::string_view> split_params(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') ++depth;
    if (s[i] == '>') --depth;
    if (s[i] == ',' && depth == 0) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(s.substr(start)));
  return out;
}

bool valid_utf8(bytes_view b) {
  size_t i = 0;
  while (i < b.size()) {
    if (i + 8 <= b.size()) {  // eight ASCII bytes at a time, the common case
      uint64_t w;
      std::memcpy(&w, b.data() + i, sizeof w);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const uint8_t c = b[i];
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= b.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((b[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    constexpr uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

int data_type::fixed_size() const {
  switch (id) {
    case type_id::boolean:
    case type_id::tinyint: return 1;
    case type_id::smallint: return 2;
    case type_id::int_:
    case type_id::date:
    case type_id::float_: return 4;
    case type_id::bigint:
    case type_id::counter:
    case type_id::double_:
    case type_id::timestamp:
    case type_id::time: return 8;
    case type_id::uuid:
    case type_id::timeuuid: return 16;
    default: return -1;
  }
}

result<data_type> data_type::parse(std::string_view text) {
  const std::string_view s = trim(text);
  const auto open = s.find('<');
  if (open == std::string_view::npos) {
    const std::string n = lower(s);
    for (const named& k : scalars) {
      if (k.name == n) return data_type{k.id, {}};
    }
    return bad_type(fmt::format("unknown type '{}'", s));
  }
  if (s.back() != '>') return bad_type(fmt::format("malformed type '{}'", s));
  const std::string outer = lower(trim(s.substr(0, open)));
  const std::string_view inner = s.substr(open + 1, s.size() - open - 2);
  if (outer == "frozen") return parse(inner);
  const auto params = split_params(inner);
  data_type t;
  if (outer == "list" || outer == "set") {
    if (params.size() != 1) return bad_type(fmt::format("{} takes one type: '{}'", outer, s));
    t.id = outer == "list" ? type_id::list : type_id::set;
  } else if (outer == "map") {
    if (params.size() != 2) return bad_type(fmt::format("map takes two types: '{}'", s));
    t.id = type_id::map;
  } else {
    return bad_type(fmt::format("unknown type '{}'", s));
  }
  for (auto p : params) {
    auto param = parse(p);
    if (!param) return param;
    if (param->id == type_id::counter) return bad_type("counters cannot be in collections");
    t.params.push_back(std::move(*param));
  }
  return t;
}

std::string data_type::name() const {
  switch (id) {
    case type_id::list: return fmt::format("list<{}>", params.at(0).name());
    case type_id::set: return fmt::format("set<{}>", params.at(0).name());
    case type_id::map: return fmt::format("map<{}, {}>", params.at(0).name(), params.at(1).name());
    default: break;
  }
  for (const named& k : scalars) {
    if (k.id == id) return std::string(k.name);
  }
  return fmt::format("custom(0x{:04x})", static_cast<int>(id));
}

void data_type::write_option(byte_writer& w) const {
  w.write_u16(static_cast<uint16_t>(id));
  for (const data_type& p : params) p.write_option(w);
}

result<data_type> data_type::read_option(byte_reader& r) {
  const uint16_t raw = SLUICE_TRY(r.read_u16());
  const auto id = static_cast<type_id>(raw);
  data_type t{id, {}};
  switch (id) {
    case type_id::list:
    case type_id::set: t.params.push_back(SLUICE_TRY(read_option(r))); return t;
    case type_id::map:
      t.params.push_back(SLUICE_TRY(read_option(r)));
      t.params.push_back(SLUICE_TRY(read_option(r)));
      return t;
    default: break;
  }
  for (const named& k : scalars) {
    if (k.id == id) return t;
  }
  return bad_type(fmt::format("type option 0x{:04x} is not served", raw));
}

result<void> data_type::validate(bytes_view v) const {
  const int fixed = fixed_size();
  if (fixed >= 0) {
    if (v.size() != static_cast<size_t>(fixed)) {
      return bad_value(*this, fmt::format("expected {} bytes, got {}", fixed, v.size()));
    }
    if (id == type_id::timeuuid && (v[6] >> 4) != 1) {
      return bad_value(*this, "not a time-based (version 1) UUID");
    }
    if (id == type_id::time) {
      byte_reader r(v);
      const int64_t nanos = *r.read_i64();
      if (nanos < 0 || nanos >= 86'400'000'000'000LL) {
        return bad_value(*this, fmt::format("{} ns is not a time of day", nanos));
      }
    }
    return {};
  }
  switch (id) {
    case type_id::ascii:
      if (std::ranges::any_of(v, [](uint8_t c) { return c >= 0x80; })) {
        return bad_value(*this, "non-ASCII byte");
      }
      return {};
    case type_id::varchar:
      if (!valid_utf8(v)) return bad_value(*this, "not valid UTF-8");
      return {};
    case type_id::varint:
      if (v.empty()) return bad_value(*this, "no bytes");
      return {};
    case type_id::decimal:
      if (v.size() < 5) return bad_value(*this, "a scale and at least one byte of digits needed");
      return {};
    case type_id::inet:
      if (v.size() != 4 && v.size() != 16) {
        return bad_value(*this, fmt::format("an address of {} bytes", v.size()));
      }
      return {};
    case type_id::list:
    case type_id::set:
    case type_id::map: {
      byte_reader r(v);
      auto n = r.read_i32();
      if (!n || *n < 0) return bad_value(*this, "no element count");
      const size_t per = id == type_id::map ? 2 : 1;
      if (static_cast<size_t>(*n) * per * 4 > r.remaining()) {
        return bad_value(*this, fmt::format("{} elements in {} bytes", *n, r.remaining()));
      }
      for (int32_t i = 0; i < *n; ++i) {
        for (size_t k = 0; k < per; ++k) {
          auto len = r.read_i32();
          if (!len || *len < 0) return bad_value(*this, "a null or missing element");
          auto e = r.read_bytes(static_cast<size_t>(*len));
          if (!e) return bad_value(*this, "an element runs past the value");
          if (auto ok = params[k].validate(*e); !ok) return ok;
        }
      }
      if (!r.empty())
        return bad_value(*this, fmt::format("{} bytes after the elements", r.remaining()));
      return {};
    }
    default: return {};  // blob: anything
  }
}

}  // namespace sluice::cql
