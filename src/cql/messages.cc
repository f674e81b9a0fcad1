#include "cql/messages.h"

#include <fmt/format.h>

namespace sluice::cql {
namespace {

namespace query_flags {
constexpr uint8_t values = 0x01;
constexpr uint8_t skip_metadata = 0x02;
constexpr uint8_t page_size = 0x04;
constexpr uint8_t paging_state = 0x08;
constexpr uint8_t serial = 0x10;
constexpr uint8_t timestamp = 0x20;
constexpr uint8_t names = 0x40;
}  // namespace query_flags

namespace rows_flags {
constexpr int32_t global_tables = 0x0001;
constexpr int32_t more_pages = 0x0002;
constexpr int32_t no_metadata = 0x0004;
}  // namespace rows_flags

std::unexpected<error> malformed(std::string what) {
  return make_error(errc::malformed, std::move(what));
}

// Decodes a whole body with `fn`; bytes left over are an error.
template <class T, class Fn>
result<T> whole(bytes_view body, Fn fn) {
  byte_reader r(body);
  T m = SLUICE_TRY(fn(r));
  if (!r.empty()) return malformed(fmt::format("{} byte(s) after the message", r.remaining()));
  return m;
}

result<std::vector<wire::value>> read_values(byte_reader& r, std::vector<std::string>* names) {
  const uint16_t n = SLUICE_TRY(r.read_u16());
  if (static_cast<size_t>(n) * 4 > r.remaining()) {
    return malformed(fmt::format("{} values in {} bytes", n, r.remaining()));
  }
  std::vector<wire::value> values;
  values.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    if (names != nullptr) names->emplace_back(SLUICE_TRY(wire::read_string(r)));
    values.push_back(SLUICE_TRY(wire::read_value(r)));
  }
  return values;
}

result<query_parameters> read_params(byte_reader& r) {
  query_parameters p;
  p.level = SLUICE_TRY(wire::read_consistency(r));
  const uint8_t flags = SLUICE_TRY(r.read_u8());
  if (flags & query_flags::values) {
    p.values = SLUICE_TRY(read_values(r, (flags & query_flags::names) ? &p.names : nullptr));
  }
  p.skip_metadata = (flags & query_flags::skip_metadata) != 0;
  if (flags & query_flags::page_size) p.page_size = SLUICE_TRY(r.read_i32());
  if (flags & query_flags::paging_state) p.paging_state = SLUICE_TRY(wire::read_bytes(r));
  if (flags & query_flags::serial) p.serial_level = SLUICE_TRY(wire::read_consistency(r));
  if (flags & query_flags::timestamp) p.timestamp = SLUICE_TRY(r.read_i64());
  return p;
}

void write_params(byte_writer& w, const query_parameters& p) {
  wire::write_consistency(w, p.level);
  uint8_t flags = 0;
  if (!p.values.empty()) flags |= query_flags::values;
  if (!p.names.empty()) flags |= query_flags::names;
  if (p.skip_metadata) flags |= query_flags::skip_metadata;
  if (p.page_size > 0) flags |= query_flags::page_size;
  if (p.paging_state) flags |= query_flags::paging_state;
  if (p.serial_level) flags |= query_flags::serial;
  if (p.timestamp) flags |= query_flags::timestamp;
  w.write_u8(flags);
  if (!p.values.empty()) {
    w.write_u16(static_cast<uint16_t>(p.values.size()));
    for (size_t i = 0; i < p.values.size(); ++i) {
      if (!p.names.empty()) wire::write_string(w, p.names.at(i));
      wire::write_value(w, p.values[i]);
    }
  }
  if (p.page_size > 0) w.write_i32(p.page_size);
  if (p.paging_state) wire::write_bytes(w, *p.paging_state);
  if (p.serial_level) wire::write_consistency(w, *p.serial_level);
  if (p.timestamp) w.write_i64(*p.timestamp);
}

bool shared_table(const std::vector<column_spec>& cols) {
  for (const auto& c : cols) {
    if (c.keyspace != cols[0].keyspace || c.table != cols[0].table) return false;
  }
  return !cols.empty();
}

void write_specs(byte_writer& w, const std::vector<column_spec>& cols, bool global) {
  if (global) {
    wire::write_string(w, cols[0].keyspace);
    wire::write_string(w, cols[0].table);
  }
  for (const auto& c : cols) {
    if (!global) {
      wire::write_string(w, c.keyspace);
      wire::write_string(w, c.table);
    }
    wire::write_string(w, c.name);
    c.type.write_option(w);
  }
}

result<std::vector<column_spec>> read_specs(byte_reader& r, int32_t count, bool global) {
  if (count < 0 || static_cast<size_t>(count) * 4 > r.remaining()) {
    return malformed(fmt::format("{} columns in {} bytes", count, r.remaining()));
  }
  std::string ks, table;
  if (global) {
    ks = SLUICE_TRY(wire::read_string(r));
    table = SLUICE_TRY(wire::read_string(r));
  }
  std::vector<column_spec> cols;
  for (int32_t i = 0; i < count; ++i) {
    column_spec c;
    c.keyspace = global ? ks : std::string(SLUICE_TRY(wire::read_string(r)));
    c.table = global ? table : std::string(SLUICE_TRY(wire::read_string(r)));
    c.name = SLUICE_TRY(wire::read_string(r));
    c.type = SLUICE_TRY(data_type::read_option(r));
    cols.push_back(std::move(c));
  }
  return cols;
}

void write_rows_metadata(byte_writer& w, const rows_metadata& m) {
  const bool global = !m.no_metadata && shared_table(m.columns);
  int32_t flags = 0;
  if (global) flags |= rows_flags::global_tables;
  if (m.paging_state) flags |= rows_flags::more_pages;
  if (m.no_metadata) flags |= rows_flags::no_metadata;
  w.write_i32(flags);
  w.write_i32(m.no_metadata ? m.column_count : static_cast<int32_t>(m.columns.size()));
  if (m.paging_state) wire::write_bytes(w, bytes_view(*m.paging_state));
  if (!m.no_metadata) write_specs(w, m.columns, global);
}

result<rows_metadata> read_rows_metadata(byte_reader& r) {
  rows_metadata m;
  const int32_t flags = SLUICE_TRY(r.read_i32());
  m.column_count = SLUICE_TRY(r.read_i32());
  if (m.column_count < 0) return malformed(fmt::format("{} columns", m.column_count));
  if (flags & rows_flags::more_pages) {
    auto state = SLUICE_TRY(wire::read_bytes(r));
    if (state) m.paging_state.emplace(state->begin(), state->end());
  }
  m.no_metadata = (flags & rows_flags::no_metadata) != 0;
  if (!m.no_metadata) {
    m.columns = SLUICE_TRY(read_specs(r, m.column_count, flags & rows_flags::global_tables));
  }
  return m;
}

}  // namespace

// --- requests
// -------------------------------------------------------------------------------------

result<startup_request> decode_startup(bytes_view body) {
  return whole<startup_request>(body, [](byte_reader& r) -> result<startup_request> {
    return startup_request{SLUICE_TRY(wire::read_string_map(r))};
  });
}
void encode(byte_writer& w, const startup_request& m) { wire::write_string_map(w, m.options); }

result<register_request> decode_register(bytes_view body) {
  return whole<register_request>(body, [](byte_reader& r) -> result<register_request> {
    return register_request{SLUICE_TRY(wire::read_string_list(r))};
  });
}
void encode(byte_writer& w, const register_request& m) { wire::write_string_list(w, m.events); }

result<auth_response_request> decode_auth_response(bytes_view body) {
  return whole<auth_response_request>(body, [](byte_reader& r) -> result<auth_response_request> {
    return auth_response_request{SLUICE_TRY(wire::read_bytes(r))};
  });
}
void encode(byte_writer& w, const auth_response_request& m) { wire::write_bytes(w, m.token); }

result<query_request> decode_query(bytes_view body) {
  return whole<query_request>(body, [](byte_reader& r) -> result<query_request> {
    query_request q;
    q.query = SLUICE_TRY(wire::read_long_string(r));
    q.params = SLUICE_TRY(read_params(r));
    return q;
  });
}
void encode(byte_writer& w, const query_request& m) {
  wire::write_long_string(w, m.query);
  write_params(w, m.params);
}

result<prepare_request> decode_prepare(bytes_view body) {
  return whole<prepare_request>(body, [](byte_reader& r) -> result<prepare_request> {
    return prepare_request{SLUICE_TRY(wire::read_long_string(r))};
  });
}
void encode(byte_writer& w, const prepare_request& m) { wire::write_long_string(w, m.query); }

result<execute_request> decode_execute(bytes_view body) {
  return whole<execute_request>(body, [](byte_reader& r) -> result<execute_request> {
    execute_request e;
    e.id = SLUICE_TRY(wire::read_short_bytes(r));
    e.params = SLUICE_TRY(read_params(r));
    return e;
  });
}
void encode(byte_writer& w, const execute_request& m) {
  wire::write_short_bytes(w, m.id);
  write_params(w, m.params);
}

result<batch_request> decode_batch(bytes_view body) {
  return whole<batch_request>(body, [](byte_reader& r) -> result<batch_request> {
    batch_request b;
    const uint8_t type = SLUICE_TRY(r.read_u8());
    if (type > 2) return malformed(fmt::format("batch type {}", type));
    b.type = static_cast<batch_type>(type);
    const uint16_t n = SLUICE_TRY(r.read_u16());
    if (static_cast<size_t>(n) * 5 > r.remaining()) {
      return malformed(fmt::format("{} statements in {} bytes", n, r.remaining()));
    }
    for (uint16_t i = 0; i < n; ++i) {
      batch_request::statement s;
      const uint8_t kind = SLUICE_TRY(r.read_u8());
      if (kind > 1) return malformed(fmt::format("batch statement kind {}", kind));
      s.prepared = kind == 1;
      if (s.prepared) {
        s.id = SLUICE_TRY(wire::read_short_bytes(r));
      } else {
        s.query = SLUICE_TRY(wire::read_long_string(r));
      }
      s.values = SLUICE_TRY(read_values(r, nullptr));
      b.statements.push_back(std::move(s));
    }
    b.level = SLUICE_TRY(wire::read_consistency(r));
    const uint8_t flags = SLUICE_TRY(r.read_u8());
    if (flags & query_flags::names) return malformed("named values in a batch");
    if (flags & query_flags::serial) b.serial_level = SLUICE_TRY(wire::read_consistency(r));
    if (flags & query_flags::timestamp) b.timestamp = SLUICE_TRY(r.read_i64());
    return b;
  });
}

void encode(byte_writer& w, const batch_request& m) {
  w.write_u8(static_cast<uint8_t>(m.type));
  w.write_u16(static_cast<uint16_t>(m.statements.size()));
  for (const auto& s : m.statements) {
    w.write_u8(s.prepared ? 1 : 0);
    if (s.prepared) {
      wire::write_short_bytes(w, s.id);
    } else {
      wire::write_long_string(w, s.query);
    }
    w.write_u16(static_cast<uint16_t>(s.values.size()));
    for (const auto& v : s.values) wire::write_value(w, v);
  }
  wire::write_consistency(w, m.level);
  uint8_t flags = 0;
  if (m.serial_level) flags |= query_flags::serial;
  if (m.timestamp) flags |= query_flags::timestamp;
  w.write_u8(flags);
  if (m.serial_level) wire::write_consistency(w, *m.serial_level);
  if (m.timestamp) w.write_i64(*m.timestamp);
}

// --- responses
// ------------------------------------------------------------------------------------

result<error_response> decode_error(bytes_view body) {
  byte_reader r(body);
  error_response e;
  e.code = static_cast<error_code>(SLUICE_TRY(r.read_i32()));
  e.message = SLUICE_TRY(wire::read_string(r));
  if (e.code == error_code::already_exists) {
    e.keyspace = SLUICE_TRY(wire::read_string(r));
    e.table = SLUICE_TRY(wire::read_string(r));
  } else if (e.code == error_code::unprepared) {
    const bytes_view id = SLUICE_TRY(wire::read_short_bytes(r));
    e.unprepared_id.assign(id.begin(), id.end());
  }
  // Other codes carry details (timeouts' counts, failure maps) a client reports by message.
  return e;
}

void encode(byte_writer& w, const error_response& m) {
  w.write_i32(static_cast<int32_t>(m.code));
  wire::write_string(w, m.message);
  if (m.code == error_code::already_exists) {
    wire::write_string(w, m.keyspace);
    wire::write_string(w, m.table);
  } else if (m.code == error_code::unprepared) {
    wire::write_short_bytes(w, m.unprepared_id);
  }
}

result<supported_response> decode_supported(bytes_view body) {
  return whole<supported_response>(body, [](byte_reader& r) -> result<supported_response> {
    return supported_response{SLUICE_TRY(wire::read_string_multimap(r))};
  });
}
void encode(byte_writer& w, const supported_response& m) {
  wire::write_string_multimap(w, m.options);
}

void encode(byte_writer& w, const authenticate_response& m) {
  wire::write_string(w, m.authenticator);
}

void encode(byte_writer& w, const result_response& m) {
  w.write_i32(static_cast<int32_t>(m.kind));
  switch (m.kind) {
    case result_kind::void_: return;
    case result_kind::set_keyspace: wire::write_string(w, m.keyspace); return;
    case result_kind::rows:
      write_rows_metadata(w, m.rows.metadata);
      w.write_i32(m.rows.row_count);
      for (const auto& cell : m.rows.cells) {
        wire::write_bytes(w, cell ? std::optional<bytes_view>(*cell) : std::nullopt);
      }
      return;
    case result_kind::prepared: {
      const auto& p = m.prepared;
      wire::write_short_bytes(w, p.id);
      const bool global = shared_table(p.bound);
      w.write_i32(global ? rows_flags::global_tables : 0);
      w.write_i32(static_cast<int32_t>(p.bound.size()));
      w.write_i32(static_cast<int32_t>(p.partition_key_indexes.size()));
      for (uint16_t i : p.partition_key_indexes) w.write_u16(i);
      write_specs(w, p.bound, global);
      write_rows_metadata(w, p.result);
      return;
    }
    case result_kind::schema_change:
      wire::write_string(w, m.change.change);
      wire::write_string(w, m.change.target);
      wire::write_string(w, m.change.keyspace);
      if (m.change.target != "KEYSPACE") wire::write_string(w, m.change.name);
      return;
  }
}

result<result_response> decode_result(bytes_view body) {
  return whole<result_response>(body, [](byte_reader& r) -> result<result_response> {
    result_response m;
    const int32_t kind = SLUICE_TRY(r.read_i32());
    m.kind = static_cast<result_kind>(kind);
    switch (m.kind) {
      case result_kind::void_: return m;
      case result_kind::set_keyspace: m.keyspace = SLUICE_TRY(wire::read_string(r)); return m;
      case result_kind::rows: {
        m.rows.metadata = SLUICE_TRY(read_rows_metadata(r));
        m.rows.row_count = SLUICE_TRY(r.read_i32());
        // Every cell takes at least 4 bytes: more rows than the body can hold is a lie (checked
        // by division, so that no product of two claimed counts can overflow).
        const auto columns = static_cast<size_t>(m.rows.metadata.column_count);
        if (m.rows.row_count < 0 ||
            (columns > 0 && static_cast<size_t>(m.rows.row_count) > r.remaining() / 4 / columns)) {
          return malformed(fmt::format("{} rows in {} bytes", m.rows.row_count, r.remaining()));
        }
        const int64_t cells = int64_t{m.rows.row_count} * m.rows.metadata.column_count;
        for (int64_t i = 0; i < cells; ++i) {
          auto cell = SLUICE_TRY(wire::read_bytes(r));
          if (cell) {
            m.rows.cells.emplace_back(std::vector<uint8_t>(cell->begin(), cell->end()));
          } else {
            m.rows.cells.emplace_back(std::nullopt);
          }
        }
        return m;
      }
      case result_kind::prepared: {
        auto& p = m.prepared;
        const bytes_view id = SLUICE_TRY(wire::read_short_bytes(r));
        p.id.assign(id.begin(), id.end());
        const int32_t flags = SLUICE_TRY(r.read_i32());
        const int32_t count = SLUICE_TRY(r.read_i32());
        const int32_t pk = SLUICE_TRY(r.read_i32());
        if (pk < 0 || static_cast<size_t>(pk) * 2 > r.remaining()) {
          return malformed(fmt::format("{} partition key indexes", pk));
        }
        for (int32_t i = 0; i < pk; ++i)
          p.partition_key_indexes.push_back(SLUICE_TRY(r.read_u16()));
        p.bound = SLUICE_TRY(read_specs(r, count, flags & rows_flags::global_tables));
        p.result = SLUICE_TRY(read_rows_metadata(r));
        return m;
      }
      case result_kind::schema_change:
        m.change.change = SLUICE_TRY(wire::read_string(r));
        m.change.target = SLUICE_TRY(wire::read_string(r));
        m.change.keyspace = SLUICE_TRY(wire::read_string(r));
        if (m.change.target != "KEYSPACE") m.change.name = SLUICE_TRY(wire::read_string(r));
        return m;
    }
    return malformed(fmt::format("result kind {}", kind));
  });
}

void encode_schema_event(byte_writer& w, const schema_change& c) {
  wire::write_string(w, "SCHEMA_CHANGE");
  wire::write_string(w, c.change);
  wire::write_string(w, c.target);
  wire::write_string(w, c.keyspace);
  if (c.target != "KEYSPACE") wire::write_string(w, c.name);
}

}  // namespace sluice::cql
