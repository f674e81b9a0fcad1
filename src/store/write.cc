// INSERT, UPDATE and DELETE into record merges; IF [NOT] EXISTS.
#include <algorithm>

#include <fmt/format.h>

#include "cql/key_encoding.h"
#include "store/exec.h"

namespace sluice::store {
namespace {

constexpr int64_t max_ttl = 20LL * 365 * 24 * 3600;  // Cassandra's limit: 20 years

struct write_context {
  const table_schema& t;
  int64_t timestamp;
  int32_t ttl = 0;
  int32_t expires = 0;
};

struct pending_row {
  std::vector<bytes> pk;
  std::vector<bytes> ck;  // all clustering values, or a prefix for range deletions
};

result<void> using_values(const parser::using_clause& u, std::span<const cql::wire::value> values,
                          int32_t now_s, write_context& w) {
  if (u.timestamp) {
    auto ts = SLUICE_TRY(evaluate_integer(*u.timestamp, true, "[timestamp]", values));
    if (ts) w.timestamp = *ts;
  }
  if (w.timestamp == no_timestamp) return invalid("Out of bound timestamp");
  if (u.ttl) {
    auto ttl = SLUICE_TRY(evaluate_integer(*u.ttl, false, "[ttl]", values));
    if (ttl) {
      if (*ttl < 0)
        return invalid(fmt::format("A TTL must be greater or equal to 0, but was {}", *ttl));
      if (*ttl > max_ttl) {
        return invalid(fmt::format("ttl is too large. requested ({}) maximum ({})", *ttl, max_ttl));
      }
      w.ttl = static_cast<int32_t>(*ttl);
      const int64_t expires = int64_t{now_s} + w.ttl;
      if (expires > INT32_MAX) {
        return invalid(
            fmt::format("ttl of {} seconds exceeds the maximum supported expiration date of "
                        "2038-01-19T03:14:07+00:00",
                        *ttl));
      }
      if (w.ttl > 0) w.expires = static_cast<int32_t>(expires);
    }
  }
  return {};
}

liveness live(const write_context& w) { return liveness{w.timestamp, w.ttl, w.expires}; }

std::vector<bytes_view> views(const std::vector<bytes>& v) { return {v.begin(), v.end()}; }

// The row key and packed key values of a full primary key (or the header of its partition).
struct row_keys {
  std::string prefix;  // the partition's
  std::string header;
  std::string row;
  std::string packed_pk;
  std::string packed_all;
};

result<row_keys> keys_of(const table_schema& t, const pending_row& r) {
  row_keys k;
  const auto pkv = views(r.pk);
  k.prefix = SLUICE_TRY(partition_prefix(t, pkv));
  k.header = k.prefix + header_tag;
  const auto ckv = views(r.ck);
  k.row = k.prefix + row_tag + SLUICE_TRY(clustering_prefix(t, ckv));
  k.packed_pk = pack_values(pkv);
  std::vector<bytes_view> all = pkv;
  all.insert(all.end(), ckv.begin(), ckv.end());
  k.packed_all = pack_values(all);
  return k;
}

// Cells of one write, split between the row and the partition header (static columns).
struct cells_out {
  std::vector<cell_record> row;
  std::vector<cell_record> statics;
};

void add_cell(cells_out& out, const column& c, uint16_t ordinal, const term_value& v,
              const write_context& w) {
  if (v.what == term_value::unset) return;
  cell_record cell{ordinal, live(w), v.what == term_value::null, {}};
  if (!cell.tombstone) cell.value = as_string_view(v.data);
  if (cell.tombstone) cell.written = liveness{w.timestamp, 0, 0};
  (c.kind == column_kind::static_ ? out.statics : out.row).push_back(cell);
}

void emit(std::vector<kv_change>& out, const std::string& key, record& r) {
  std::ranges::sort(r.cells, {}, &cell_record::column);
  out.push_back(kv_change::merge(key, encode(r)));
}

}  // namespace

result<void> engine::impl::plan_write(const prepared_statement& p, const parser::statement& st,
                                      const session& s, std::span<const cql::wire::value> values,
                                      int64_t timestamp, std::vector<kv_change>& out) {
  (void)p;
  const auto& body = st.body;
  const parser::qualified_name* name = nullptr;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, parser::insert> || std::is_same_v<T, parser::update> ||
                      std::is_same_v<T, parser::delete_>) {
          name = &x.table;
        }
      },
      body);
  if (!name) return invalid("Only INSERT, UPDATE and DELETE statements are allowed in a BATCH");
  // Names resolve in the keyspace the statement was prepared in, as Cassandra does.
  const table_ref ref =
      SLUICE_TRY(find_table(*cat, *name, p.keyspace.empty() ? s.keyspace : p.keyspace));
  if (ref.system || catalog::is_system_keyspace(ref.schema->keyspace)) {
    return invalid(fmt::format("{} keyspace is not user-modifiable", ref.schema->keyspace));
  }
  const table_schema& t = *ref.schema;
  write_context w{t, timestamp};

  if (const auto* ins = std::get_if<parser::insert>(&body)) {
    SLUICE_TRY(using_values(ins->using_, values, now_s(), w));
    pending_row row;
    row.pk.resize(t.partition_key().size());
    row.ck.resize(t.clustering().size());
    std::vector<bool> seen(t.columns.size());
    cells_out cells;
    std::vector<term_value> kept;  // cell values point into these
    kept.reserve(ins->columns.size());
    for (size_t i = 0; i < ins->columns.size(); ++i) {
      const column* c = t.find(ins->columns[i]);
      if (!c) return invalid(fmt::format("Undefined column name {}", ins->columns[i]));
      const uint16_t ord = ordinal_of(t, c);
      if (seen[ord])
        return invalid(fmt::format("Multiple definitions found for column {}", c->name));
      seen[ord] = true;
      term_value v = SLUICE_TRY(evaluate(ins->values[i], c->type, c->name, values));
      if (c->kind == column_kind::partition_key || c->kind == column_kind::clustering) {
        if (v.what == term_value::unset) {
          return invalid(fmt::format("Invalid unset value for column {}", c->name));
        }
        if (v.what == term_value::null) {
          return invalid(fmt::format("Invalid null value in condition for column {}", c->name));
        }
        (c->kind == column_kind::partition_key ? row.pk
                                               : row.ck)[static_cast<size_t>(c->position)] =
            std::move(v.data);
        continue;
      }
      kept.push_back(std::move(v));
      add_cell(cells, *c, ord, kept.back(), w);
    }
    std::vector<std::string> missing;
    for (const column* c : t.partition_key()) {
      if (!seen[ordinal_of(t, c)]) missing.push_back(c->name);
    }
    if (!missing.empty()) {
      return invalid(
          fmt::format("Some partition key parts are missing: {}", fmt::join(missing, ", ")));
    }
    for (const column* c : t.clustering()) {
      if (!seen[ordinal_of(t, c)]) missing.push_back(c->name);
    }
    // Only the partition key and static columns: the partition's statics, and no row.
    const bool statics_only =
        missing.size() == t.clustering().size() && cells.row.empty() && !cells.statics.empty();
    if (statics_only) {
      const row_keys k = SLUICE_TRY(keys_of(t, pending_row{row.pk, {}}));
      record h;
      h.keys = k.packed_pk;
      h.cells = std::move(cells.statics);
      emit(out, k.header, h);
      return {};
    }
    if (!missing.empty()) {
      return invalid(fmt::format("Some clustering keys are missing: {}", fmt::join(missing, ", ")));
    }
    const row_keys k = SLUICE_TRY(keys_of(t, row));
    record r;
    r.keys = k.packed_all;
    r.marker = live(w);
    r.cells = std::move(cells.row);
    emit(out, k.row, r);
    if (!cells.statics.empty()) {
      record h;
      h.keys = k.packed_pk;
      h.cells = std::move(cells.statics);
      emit(out, k.header, h);
    }
    return {};
  }

  if (const auto* up = std::get_if<parser::update>(&body)) {
    SLUICE_TRY(using_values(up->using_, values, now_s(), w));
    bool only_static = true;
    cells_out cells;
    std::vector<term_value> kept;  // cell values point into these
    kept.reserve(up->assignments.size());
    std::vector<bool> seen(t.columns.size());
    for (const auto& a : up->assignments) {
      const column* c = t.find(a.column);
      if (!c) return invalid(fmt::format("Undefined column name {}", a.column));
      if (c->kind == column_kind::partition_key || c->kind == column_kind::clustering) {
        return invalid(fmt::format("PRIMARY KEY part {} found in SET part", c->name));
      }
      const uint16_t ord = ordinal_of(t, c);
      if (seen[ord])
        return invalid(fmt::format("Multiple definitions found for column {}", c->name));
      seen[ord] = true;
      if (a.key || a.what != parser::assignment::kind::set) {
        return invalid(fmt::format(
            "Updating elements of collection \"{}\" is not supported by sluice's store; set the "
            "whole collection",
            c->name));
      }
      if (c->kind != column_kind::static_) only_static = false;
      kept.push_back(SLUICE_TRY(evaluate(a.value, c->type, c->name, values)));
      add_cell(cells, *c, ord, kept.back(), w);
    }
    const where_plan plan = SLUICE_TRY(plan_where(
        t, up->where, values, false, only_static ? where_use::delete_ : where_use::update));
    if (only_static && plan.restricts_clustering()) {
      return invalid(
          "Invalid restrictions on clustering columns since the UPDATE statement "
          "modifies only static columns");
    }
    for (const auto& pk : plan.partitions) {
      for (const auto& ck : plan.clustering_prefixes) {
        const row_keys k = SLUICE_TRY(keys_of(t, pending_row{pk, ck}));
        if (!cells.row.empty()) {
          record r;
          r.keys = k.packed_all;
          r.cells = cells.row;
          emit(out, k.row, r);
        }
        if (!cells.statics.empty()) {
          record h;
          h.keys = k.packed_pk;
          h.cells = cells.statics;
          emit(out, k.header, h);
        }
      }
    }
    return {};
  }

  const auto& del = std::get<parser::delete_>(body);
  SLUICE_TRY(using_values(del.using_, values, now_s(), w));
  const where_plan plan = SLUICE_TRY(plan_where(t, del.where, values, false, where_use::delete_));
  const size_t ck_count = t.clustering().size();
  const bool full_row = plan.clustering_fixed == ck_count && !plan.slice_low && !plan.slice_high;
  std::vector<uint16_t> columns;
  bool has_static = false, has_regular = false;
  for (const auto& name_ : del.columns) {
    const column* c = t.find(name_);
    if (!c) return invalid(fmt::format("Undefined column name {}", name_));
    if (c->kind == column_kind::partition_key || c->kind == column_kind::clustering) {
      return invalid(fmt::format(
          "Invalid identifier {} for deletion (should not be a PRIMARY KEY part)", c->name));
    }
    (c->kind == column_kind::static_ ? has_static : has_regular) = true;
    columns.push_back(ordinal_of(t, c));
  }
  std::ranges::sort(columns);
  if (has_regular && !full_row) {
    return invalid("Range deletions are not supported for specific columns");
  }
  const auto ranges = SLUICE_TRY(clustering_ranges(t, plan));
  for (const auto& pk : plan.partitions) {
    if (!columns.empty()) {
      for (const auto& ck : plan.clustering_prefixes) {
        const row_keys k = SLUICE_TRY(keys_of(t, pending_row{pk, ck}));
        record r, h;
        r.keys = k.packed_all;
        h.keys = k.packed_pk;
        for (uint16_t ord : columns) {
          cell_record cell{ord, liveness{w.timestamp, 0, 0}, true, {}};
          (t.columns[ord].kind == column_kind::static_ ? h : r).cells.push_back(cell);
        }
        if (!r.cells.empty()) emit(out, k.row, r);
        if (!h.cells.empty()) emit(out, k.header, h);
      }
      continue;
    }
    if (!plan.restricts_clustering()) {  // the whole partition
      const row_keys k = SLUICE_TRY(keys_of(t, pending_row{pk, {}}));
      record h;
      h.keys = k.packed_pk;
      h.deleted_at = w.timestamp;
      emit(out, k.header, h);
      continue;
    }
    if (full_row) {
      for (const auto& ck : plan.clustering_prefixes) {
        const row_keys k = SLUICE_TRY(keys_of(t, pending_row{pk, ck}));
        record r;
        r.keys = k.packed_all;
        r.deleted_at = w.timestamp;
        emit(out, k.row, r);
      }
      continue;
    }
    const row_keys k = SLUICE_TRY(keys_of(t, pending_row{pk, {}}));
    record h;
    h.keys = k.packed_pk;
    for (const auto& range : ranges) h.ranges.push_back({w.timestamp, range.start(), range.end()});
    emit(out, k.header, h);
  }
  return {};
}

}  // namespace sluice::store

namespace sluice::store {
namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

result<outcome> engine::impl::execute_conditional(const prepared_statement& p, const session& s,
                                                  std::span<const cql::wire::value> values,
                                                  const execution& how) {
  const auto& body = p.stmt.body;
  const bool if_not_exists = std::holds_alternative<parser::insert>(body);
  const parser::qualified_name& name = if_not_exists ? std::get<parser::insert>(body).table
                                       : std::holds_alternative<parser::update>(body)
                                           ? std::get<parser::update>(body).table
                                           : std::get<parser::delete_>(body).table;
  const table_ref ref =
      SLUICE_TRY(find_table(*cat, name, p.keyspace.empty() ? s.keyspace : p.keyspace));
  const table_schema& t = *ref.schema;

  outcome out;
  const int64_t ts = how.timestamp.value_or(write_time_us());
  SLUICE_TRY(plan_write(p, p.stmt, s, values, ts, out.changes));

  // Whether any row the statement names exists now.
  const int32_t now = now_s();
  bool exists = false;
  // Where a key's partition prefix ends (the tag after it tells a header from a row).
  auto prefix_end = [&](std::string_view key) -> std::optional<size_t> {
    size_t pos = 12;
    for (const column* pk : t.partition_key()) {
      auto n = cql::key_component_size(pk->type,
                                       as_bytes_view(key.substr(std::min(pos, key.size()))), false);
      if (!n) return std::nullopt;
      pos += *n;
    }
    return pos < key.size() ? std::optional(pos) : std::nullopt;
  };
  // The rows the statement names; its partition's header only when it names no row (a write
  // of statics alone, a partition deletion).
  const bool names_rows = std::ranges::any_of(out.changes, [&](const kv_change& c) {
    const auto pos = prefix_end(c.key);
    return pos && c.key[*pos] == row_tag;
  });
  for (const auto& c : out.changes) {
    const std::string& key = c.key;
    const auto end = prefix_end(key);
    if (!end) continue;
    const size_t pos = *end;
    if (names_rows && key[pos] == header_tag) continue;
    const std::string prefix = key.substr(0, pos);
    record header;
    auto hb = SLUICE_TRY(kv->get(prefix + header_tag));
    if (hb) header = SLUICE_TRY(decode_record(*hb));
    auto alive_row = [&](std::string_view row_key, std::string_view bytes) -> result<bool> {
      const record r = SLUICE_TRY(decode_record(bytes));
      int64_t deletion = header.deleted_at;
      const std::string_view ck = row_key.substr(pos + 1);
      for (const auto& d : header.ranges) {
        if (within(ck, d.start, d.end)) deletion = std::max(deletion, d.timestamp);
      }
      if (r.marker.alive(now) && r.marker.timestamp > deletion) return true;
      return std::ranges::any_of(r.cells, [&](const cell_record& cr) {
        return !cr.tombstone && cr.written.alive(now) && cr.written.timestamp > deletion;
      });
    };
    if (key[pos] == row_tag) {
      auto rb = SLUICE_TRY(kv->get(key));
      if (rb && SLUICE_TRY(alive_row(key, *rb))) exists = true;
    } else {
      // The partition exists with a live static cell or a live row.
      exists = std::ranges::any_of(header.cells, [&](const cell_record& cr) {
        return !cr.tombstone && cr.written.alive(now) && cr.written.timestamp > header.deleted_at;
      });
      auto cursor = kv->cursor();
      const std::string rows = prefix + row_tag;
      for (cursor->seek(rows); !exists && cursor->valid() && starts(cursor->key(), rows);
           cursor->next()) {
        if (SLUICE_TRY(alive_row(cursor->key(), cursor->value()))) {
          exists = true;
          break;
        }
      }
      SLUICE_TRY(cursor->status());
    }
    if (exists) break;
  }

  const bool applied = if_not_exists ? !exists : exists;
  if (!applied) out.changes.clear();
  out.response.kind = cql::result_kind::rows;
  out.response.rows.metadata.columns.push_back(
      cql::column_spec{t.keyspace, t.name, "[applied]", cql::data_type{cql::type_id::boolean, {}}});
  out.response.rows.cells.emplace_back(std::vector<uint8_t>{static_cast<uint8_t>(applied ? 1 : 0)});
  out.response.rows.row_count = 1;
  return out;
}

}  // namespace sluice::store
