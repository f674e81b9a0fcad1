// SELECT: result columns, partition and range reads, filtering, ordering, limits, paging, COUNT.
#include <algorithm>

#include <fmt/format.h>

#include "cql/key_encoding.h"
#include "store/exec.h"

namespace sluice::store {
namespace {

using cql::type_id;

struct output {
  enum class kind : uint8_t { column, writetime, ttl, token, count } what = kind::column;
  uint16_t ordinal = 0;
  cql::column_spec spec;
};

cql::data_type type_of(type_id id) { return cql::data_type{id, {}}; }

bytes big_endian(uint64_t v, size_t n) {
  bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
  return out;
}

result<std::vector<output>> outputs(const table_schema& t, const parser::select& sel) {
  std::vector<output> out;
  auto spec = [&](std::string name, cql::data_type type) {
    return cql::column_spec{t.keyspace, t.name, std::move(name), std::move(type)};
  };
  if (sel.star) {
    std::vector<const column*> cols;
    for (const column* c : t.partition_key()) cols.push_back(c);
    for (const column* c : t.clustering()) cols.push_back(c);
    std::vector<const column*> rest;
    for (const auto& c : t.columns) {
      if (c.kind == column_kind::regular || c.kind == column_kind::static_) rest.push_back(&c);
    }
    std::ranges::sort(rest, {}, &column::name);
    cols.insert(cols.end(), rest.begin(), rest.end());
    for (const column* c : cols) {
      out.push_back({output::kind::column, ordinal_of(t, c), spec(c->name, c->type)});
    }
    return out;
  }
  for (const auto& s : sel.selectors) {
    auto named = [&](std::string fallback) { return s.alias.empty() ? fallback : s.alias; };
    auto one_column = [&]() -> result<const column*> {
      if (s.args.size() != 1 || s.args[0].what != parser::selector::kind::column) {
        return invalid(fmt::format("{}() takes one column", s.name));
      }
      const column* c = t.find(s.args[0].name);
      if (!c) return invalid(fmt::format("Undefined column name {}", s.args[0].name));
      return c;
    };
    switch (s.what) {
      case parser::selector::kind::column: {
        const column* c = t.find(s.name);
        if (!c) return invalid(fmt::format("Undefined column name {}", s.name));
        out.push_back({output::kind::column, ordinal_of(t, c), spec(named(c->name), c->type)});
        break;
      }
      case parser::selector::kind::count_star:
        out.push_back({output::kind::count, 0, spec(named("count"), type_of(type_id::bigint))});
        break;
      case parser::selector::kind::writetime:
      case parser::selector::kind::ttl: {
        const column* c = SLUICE_TRY(one_column());
        const bool wt = s.what == parser::selector::kind::writetime;
        if (c->kind == column_kind::partition_key || c->kind == column_kind::clustering) {
          return invalid(fmt::format("Cannot use selection function {} on PRIMARY KEY part {}",
                                     wt ? "writeTime" : "ttl", c->name));
        }
        out.push_back({wt ? output::kind::writetime : output::kind::ttl, ordinal_of(t, c),
                       spec(named(fmt::format("{}({})", s.name, c->name)),
                            type_of(wt ? type_id::bigint : type_id::int_))});
        break;
      }
      case parser::selector::kind::function: {
        if (s.name != "token") {
          return invalid(fmt::format("Unknown function '{}' in selection", s.name));
        }
        const auto pk = t.partition_key();
        bool ok = s.args.size() == pk.size();
        for (size_t i = 0; ok && i < pk.size(); ++i) ok = s.args[i].name == pk[i]->name;
        if (!ok) return invalid("token() takes the partition key columns, in order");
        std::vector<std::string> names;
        for (const column* c : pk) names.push_back(c->name);
        out.push_back({output::kind::token, 0,
                       spec(named(fmt::format("system.token({})", fmt::join(names, ", "))),
                            type_of(type_id::bigint))});
        break;
      }
    }
  }
  const bool counting =
      std::ranges::any_of(out, [](const output& o) { return o.what == output::kind::count; });
  if (counting && out.size() > 1) {
    return invalid("COUNT(*) cannot be selected together with other columns in sluice's store");
  }
  if (sel.distinct) {
    for (const auto& o : out) {
      const auto k = t.columns[o.ordinal].kind;
      if (o.what != output::kind::column ||
          (k != column_kind::partition_key && k != column_kind::static_)) {
        return invalid(fmt::format(
            "SELECT DISTINCT queries must only request partition key columns and/or static "
            "columns (not {})",
            o.spec.name));
      }
    }
  }
  return out;
}

// One row as read: its key values and records, with the deletion that covers it.
struct row_view {
  std::vector<bytes_view> keys;  // partition key values, then clustering values
  const record* row = nullptr;   // null: the partition's static row
  const record* header = nullptr;
  int64_t deletion = no_timestamp;  // partition or range deletion covering the row
};

class reader {
 public:
  reader(const table_schema& t, std::vector<output> outs, int32_t now_s)
      : t_(t), outs_(std::move(outs)), now_(now_s) {}

  // The live cell of a column, or null.
  [[nodiscard]] const cell_record* live_cell(const row_view& r, uint16_t ordinal) const {
    const column& c = t_.columns[ordinal];
    const bool is_static = c.kind == column_kind::static_;
    const record* rec = is_static ? r.header : r.row;
    if (!rec) return nullptr;
    const cell_record* cr = rec->find(ordinal);
    if (!cr || cr->tombstone || !cr->written.alive(now_)) return nullptr;
    const int64_t deletion =
        is_static ? (r.header ? r.header->deleted_at : no_timestamp) : r.deletion;
    return cr->written.timestamp > deletion ? cr : nullptr;
  }

  [[nodiscard]] std::optional<bytes_view> value(const row_view& r, uint16_t ordinal) const {
    const column& c = t_.columns[ordinal];
    if (c.kind == column_kind::partition_key) return r.keys.at(static_cast<size_t>(c.position));
    if (c.kind == column_kind::clustering) {
      const size_t i = t_.partition_key().size() + static_cast<size_t>(c.position);
      if (i >= r.keys.size()) return std::nullopt;
      return r.keys[i];
    }
    const cell_record* cr = live_cell(r, ordinal);
    if (!cr) return std::nullopt;
    return as_bytes_view(cr->value);
  }

  [[nodiscard]] bool alive(const row_view& r) const {
    if (!r.row) return false;
    if (r.row->marker.alive(now_) && r.row->marker.timestamp > r.deletion) return true;
    for (const auto& c : r.row->cells) {
      if (!c.tombstone && c.written.alive(now_) && c.written.timestamp > r.deletion) return true;
    }
    return false;
  }

  [[nodiscard]] bool static_alive(const row_view& r) const {
    if (!r.header) return false;
    for (const auto& c : r.header->cells) {
      if (!c.tombstone && c.written.alive(now_) && c.written.timestamp > r.header->deleted_at) {
        return true;
      }
    }
    return false;
  }

  void project(const row_view& r, std::vector<cell>& out) const {
    for (const auto& o : outs_) {
      switch (o.what) {
        case output::kind::column: {
          auto v = value(r, o.ordinal);
          if (v) {
            out.emplace_back(bytes(v->begin(), v->end()));
          } else {
            out.emplace_back();
          }
          break;
        }
        case output::kind::writetime:
        case output::kind::ttl: {
          const cell_record* c = live_cell(r, o.ordinal);
          if (!c || (o.what == output::kind::ttl && c->written.expires == 0)) {
            out.emplace_back();
          } else if (o.what == output::kind::writetime) {
            out.emplace_back(big_endian(static_cast<uint64_t>(c->written.timestamp), 8));
          } else {
            out.emplace_back(big_endian(static_cast<uint32_t>(c->written.expires - now_), 4));
          }
          break;
        }
        case output::kind::token: {
          const size_t n = t_.partition_key().size();
          std::vector<bytes_view> pk(r.keys.begin(), r.keys.begin() + static_cast<ptrdiff_t>(n));
          out.emplace_back(big_endian(static_cast<uint64_t>(token_of(pk)), 8));
          break;
        }
        case output::kind::count: break;
      }
    }
  }

  [[nodiscard]] const std::vector<output>& outputs() const { return outs_; }

 private:
  const table_schema& t_;
  std::vector<output> outs_;
  int32_t now_;
};

// The length of a key's partition prefix (table id, token, partition key components).
std::optional<size_t> prefix_length(const table_schema& t, std::string_view key) {
  size_t pos = 12;
  for (const column* c : t.partition_key()) {
    if (pos > key.size()) return std::nullopt;
    auto n = cql::key_component_size(c->type, as_bytes_view(key.substr(pos)), false);
    if (!n) return std::nullopt;
    pos += *n;
  }
  return pos < key.size() ? std::optional(pos) : std::nullopt;
}

std::string successor(std::string s) {
  while (!s.empty() && static_cast<uint8_t>(s.back()) == 0xFF) s.pop_back();
  if (!s.empty()) s.back() = static_cast<char>(static_cast<uint8_t>(s.back()) + 1);
  return s;
}

// Whether an encoded clustering key is past a range's end (forward order).
bool past_end(std::string_view ck, const clustering_range& r) {
  if (r.end_prefix.empty()) return false;
  if (r.end_inclusive) return ck > r.end_prefix && !ck.starts_with(r.end_prefix);
  return ck >= r.end_prefix;
}
bool before_start(std::string_view ck, const clustering_range& r) {
  if (r.start_prefix.empty()) return false;
  if (r.start_inclusive) return ck < r.start_prefix;
  return ck < r.start_prefix || ck.starts_with(r.start_prefix);
}

// Paging state: [u32 n][last key][i32 remaining limit][i32 rows already in its partition].
std::vector<uint8_t> paging_state(std::string_view last_key, int64_t remaining,
                                  int64_t in_partition) {
  byte_writer w(last_key.size() + 12);
  w.write_u32(static_cast<uint32_t>(last_key.size()));
  w.write_bytes(last_key);
  w.write_i32(static_cast<int32_t>(std::min<int64_t>(remaining, INT32_MAX)));
  w.write_i32(static_cast<int32_t>(in_partition));
  return std::move(w).take();
}

struct resume_point {
  std::string last_key;
  int64_t remaining = -1;
  int64_t in_partition = 0;
};

result<resume_point> read_paging_state(bytes_view b, uint32_t table_id) {
  byte_reader r(b);
  auto bad = [] { return invalid("Invalid paging state: it does not belong to this query"); };
  auto n = r.read_u32();
  if (!n) return bad();
  auto key = r.read_bytes(*n);
  auto rem = r.read_i32();
  auto in = r.read_i32();
  if (!key || !rem || !in || r.remaining() != 0) return bad();
  resume_point p{std::string(as_string_view(*key)), *rem, *in};
  if (!p.last_key.starts_with(table_prefix(table_id))) return bad();
  return p;
}

}  // namespace

result<std::vector<cql::column_spec>> select_metadata(const table_schema& t,
                                                      const parser::select& sel) {
  std::vector<cql::column_spec> out;
  for (auto& o : SLUICE_TRY(outputs(t, sel))) out.push_back(std::move(o.spec));
  return out;
}

result<outcome> engine::impl::execute_select(const prepared_statement& p, const session& s,
                                             std::span<const cql::wire::value> values,
                                             const execution& how) {
  const auto& sel = std::get<parser::select>(p.stmt.body);
  if (sel.json) return invalid("SELECT JSON is not supported by sluice's store");
  const table_ref ref =
      SLUICE_TRY(find_table(*cat, sel.table, p.keyspace.empty() ? s.keyspace : p.keyspace));
  const table_schema& t = *ref.schema;
  auto outs = SLUICE_TRY(outputs(t, sel));
  const bool counting = !outs.empty() && outs[0].what == output::kind::count;

  int64_t limit = -1, per_partition = -1;
  if (sel.limit) {
    auto v = SLUICE_TRY(evaluate_integer(*sel.limit, false, "[limit]", values));
    if (v && *v <= 0) return invalid("LIMIT must be strictly positive");
    if (v) limit = *v;
  }
  if (sel.per_partition_limit) {
    auto v = SLUICE_TRY(
        evaluate_integer(*sel.per_partition_limit, false, "[per_partition_limit]", values));
    if (v && *v <= 0) return invalid("PER PARTITION LIMIT must be strictly positive");
    if (v) per_partition = *v;
  }
  // COUNT(*) counts every row: LIMIT and PER PARTITION LIMIT apply to the one row it returns.
  if (counting) limit = per_partition = -1;
  if (sel.distinct) per_partition = 1;

  outcome out;
  out.response.kind = cql::result_kind::rows;
  auto& rows = out.response.rows;
  for (const auto& o : outs) rows.metadata.columns.push_back(o.spec);
  if (how.skip_metadata) {
    rows.metadata.no_metadata = true;
    rows.metadata.column_count = static_cast<int32_t>(outs.size());
  }
  reader rd(t, std::move(outs), now_s());
  int64_t counted = 0;

  // --- system tables: every row, every relation a filter.
  if (ref.system) {
    std::vector<filter> filters;
    for (const auto& rel : sel.where) {
      if (rel.token || rel.columns.size() != 1)
        return invalid("Unsupported restriction on a system table");
      const column* c = t.find(rel.columns[0]);
      if (!c) return invalid(fmt::format("Undefined column name {}", rel.columns[0]));
      filter f{c, ordinal_of(t, c), rel.what, {}};
      for (const auto& term : rel.values) {
        auto v = SLUICE_TRY(evaluate(term, c->type, c->name, values));
        f.values.push_back(std::move(v.data));
      }
      filters.push_back(std::move(f));
    }
    for (const row& r : ref.system->rows(*cat, options.node)) {
      bool ok = true;
      for (const auto& f : filters) {
        const auto& v = r[f.ordinal];
        ok = ok && SLUICE_TRY(matches(f, v ? std::optional<bytes_view>(*v) : std::nullopt));
      }
      if (!ok) continue;
      if (limit >= 0 && counted >= limit) break;
      ++counted;
      if (counting) continue;
      for (const auto& o : rd.outputs())
        rows.cells.push_back(o.what == output::kind::column ? r[o.ordinal] : cell());
      ++rows.row_count;
    }
    if (counting) {
      rows.cells.emplace_back(big_endian(static_cast<uint64_t>(counted), 8));
      rows.row_count = 1;
    }
    return out;
  }

  const where_plan plan =
      SLUICE_TRY(plan_where(t, sel.where, values, sel.allow_filtering, where_use::select));
  const auto ranges = SLUICE_TRY(clustering_ranges(t, plan));

  // ORDER BY: the clustering order, or its reverse.
  bool reversed = false;
  if (!sel.order_by.empty()) {
    if (plan.partitions.empty()) {
      return invalid(
          "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.");
    }
    const auto ck = t.clustering();
    std::optional<bool> flip;
    for (size_t i = 0; i < sel.order_by.size(); ++i) {
      const auto& [name, desc] = sel.order_by[i];
      const column* c = t.find(name);
      if (!c) return invalid(fmt::format("Undefined column name {}", name));
      if (c->kind != column_kind::clustering) {
        return invalid(fmt::format("Order by on unknown column {}", name));
      }
      if (i >= ck.size() || ck[i] != c) {
        return invalid(
            "Order by currently only supports the ordering of columns following their "
            "declared order in the PRIMARY KEY");
      }
      const bool f = desc != c->descending;
      if (flip && *flip != f) return invalid("Unsupported order by relation");
      flip = f;
    }
    reversed = flip.value_or(false);
  }
  // ORDER BY over several partitions sorts after reading: the whole result at once, so the
  // query may not be paged unless its LIMIT fits in a page (then it is not paged), as Cassandra.
  const bool ordered_across = !sel.order_by.empty() && plan.partitions.size() > 1;
  bool paging = how.page_size > 0 && !counting;
  if (ordered_across && paging) {
    if (limit < 0 || limit > how.page_size) {
      return invalid(
          "Cannot page queries with both ORDER BY and a IN restriction on the partition key; you "
          "must either remove the ORDER BY or the IN and sort client side, or disable paging for "
          "this query");
    }
    paging = false;
  }
  if (plan.no_rows) {
    if (counting) {
      rows.cells.emplace_back(big_endian(0, 8));
      rows.row_count = 1;
    }
    return out;
  }

  std::optional<resume_point> resume;
  if (how.paging_state && !how.paging_state->empty()) {
    resume = SLUICE_TRY(read_paging_state(*how.paging_state, t.id));
    limit = resume->remaining;
  }

  std::vector<std::pair<std::string, std::vector<cell>>> sorted_rows;  // ORDER BY across partitions

  int64_t emitted = 0;
  std::string last_key;
  int64_t last_in_partition = 0;
  bool full = false;  // the page (or the limit) is full

  // Emits a row if it passes the filters; false once no more rows are wanted.
  auto offer = [&](const row_view& r, std::string_view key, int64_t& in_partition) -> result<bool> {
    for (const auto& f : plan.filters) {
      if (!SLUICE_TRY(matches(f, rd.value(r, f.ordinal)))) return true;
    }
    if (per_partition >= 0 && in_partition >= per_partition) return true;
    ++in_partition;
    ++counted;
    if (!counting) {
      if (ordered_across) {
        std::vector<cell> cells;
        rd.project(r, cells);
        sorted_rows.emplace_back(std::string(key), std::move(cells));
      } else {
        rd.project(r, rows.cells);
      }
      ++rows.row_count;
    }
    ++emitted;
    last_key.assign(key);
    last_in_partition = in_partition;
    if (limit >= 0 && counted >= limit && !ordered_across) {
      full = true;
      return false;
    }
    if (paging && emitted >= how.page_size) {
      full = true;
      return false;
    }
    return true;
  };

  // One snapshot for the whole read, so that an atomic write is seen whole or not at all.
  auto snap = kv->snapshot();
  auto cursor = snap->cursor();
  std::string header_bytes;
  record header;
  std::vector<bytes_view> header_keys;

  // Reads the rows of one partition (prefix known), forward or reversed, from `after` if set.
  auto read_partition = [&](const std::string& prefix, std::optional<std::string> after,
                            int64_t in_partition) -> result<bool> {
    header = record{};
    header_bytes.clear();
    auto h = SLUICE_TRY(snap->get(prefix + header_tag));
    if (h) {
      header_bytes = std::move(*h);
      header = SLUICE_TRY(decode_record(header_bytes));
    }
    const std::string rows_prefix = prefix + row_tag;
    bool any = in_partition > 0;
    auto visit = [&](std::string_view key, std::string_view value) -> result<bool> {
      const std::string_view ck = key.substr(rows_prefix.size());
      bool inside = false;
      for (const auto& r : ranges) inside = inside || within(ck, r.start(), r.end());
      if (!inside) return true;
      const record rec = SLUICE_TRY(decode_record(value));
      row_view rv{unpack_values(rec.keys), &rec, &header, header.deleted_at};
      for (const auto& d : header.ranges) {
        if (within(ck, d.start, d.end)) rv.deletion = std::max(rv.deletion, d.timestamp);
      }
      if (!rd.alive(rv)) return true;
      any = true;
      return offer(rv, key, in_partition);
    };
    for (size_t ri = 0; ri < ranges.size(); ++ri) {
      const auto& r = ranges[reversed ? ranges.size() - 1 - ri : ri];
      if (!reversed) {
        std::string from = rows_prefix + r.start_prefix;
        if (after && *after > from) from = *after;
        for (cursor->seek(from); cursor->valid(); cursor->next()) {
          const std::string_view key = cursor->key();
          if (!key.starts_with(rows_prefix)) break;
          if (after && key <= *after) continue;
          const std::string_view ck = key.substr(rows_prefix.size());
          if (past_end(ck, r)) break;
          if (!SLUICE_TRY(visit(key, cursor->value()))) return false;
        }
      } else {
        std::string to = r.end_prefix.empty() ? successor(rows_prefix)
                         : r.end_inclusive    ? successor(rows_prefix + r.end_prefix)
                                              : rows_prefix + r.end_prefix;
        if (after && *after < to) to = *after;
        for (cursor->seek_for_prev(to); cursor->valid(); cursor->prev()) {
          const std::string_view key = cursor->key();
          if (key >= to) continue;
          if (!key.starts_with(rows_prefix)) break;
          const std::string_view ck = key.substr(rows_prefix.size());
          if (before_start(ck, r)) break;
          if (!SLUICE_TRY(visit(key, cursor->value()))) return false;
        }
      }
      SLUICE_TRY(cursor->status());
    }
    // A partition with live static cells and no rows is returned as one row of its statics.
    if (!any && !plan.restricts_clustering() && !after) {
      row_view rv{unpack_values(header.keys), nullptr, &header, header.deleted_at};
      if (rd.static_alive(rv)) {
        int64_t n = 0;
        for (const auto& f : plan.filters) {
          if (!SLUICE_TRY(matches(f, rd.value(rv, f.ordinal)))) return true;
        }
        return offer(rv, prefix + header_tag, n);
      }
    }
    return true;
  };

  if (!plan.partitions.empty()) {
    std::vector<std::string> prefixes;
    for (const auto& pk : plan.partitions) {
      std::vector<bytes_view> v(pk.begin(), pk.end());
      prefixes.push_back(SLUICE_TRY(partition_prefix(t, v)));
    }
    std::ranges::sort(prefixes);
    prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
    for (const auto& prefix : prefixes) {
      std::optional<std::string> after;
      int64_t in_partition = 0;
      if (resume) {
        const auto len = prefix_length(t, resume->last_key);
        const std::string last_prefix = len ? resume->last_key.substr(0, *len) : std::string();
        if (prefix < last_prefix) continue;
        if (prefix == last_prefix) {
          if (resume->last_key[*len] == header_tag) continue;
          after = resume->last_key;
          in_partition = resume->in_partition;
        }
      }
      if (!SLUICE_TRY(read_partition(prefix, after, in_partition))) break;
    }
  } else {
    // A scan over the table, or over a token range of it.
    std::string from = table_prefix(t.id);
    const std::string end = table_end(t.id);
    if (plan.token_start) {
      const auto [tok, inclusive] = *plan.token_start;
      if (inclusive) {
        from = token_prefix(t.id, tok);
      } else if (tok != INT64_MAX) {
        from = token_prefix(t.id, tok + 1);
      } else {
        from = end;
      }
    }
    std::string current_prefix;
    int64_t in_partition = 0;
    bool header_seen = false;
    bool any_in_partition = false;
    std::string skip_partition;  // a partition whose per-partition limit is reached
    std::optional<std::string> after;
    if (resume) {
      after = resume->last_key;
      if (resume->last_key > from) from = resume->last_key;
      if (auto len = prefix_length(t, resume->last_key)) {
        current_prefix = resume->last_key.substr(0, *len);
        in_partition = resume->in_partition;
        any_in_partition = true;
        if (resume->last_key[*len] == header_tag) skip_partition = current_prefix;
        if (auto h = SLUICE_TRY(snap->get(current_prefix + header_tag))) {
          header_bytes = std::move(*h);
          header = SLUICE_TRY(decode_record(header_bytes));
          header_seen = true;
        }
      }
    }
    // Emits the statics of a partition that had no live rows.
    auto finish_partition = [&]() -> result<bool> {
      if (current_prefix.empty() || any_in_partition || !header_seen || plan.restricts_clustering())
        return true;
      row_view rv{unpack_values(header.keys), nullptr, &header, header.deleted_at};
      if (!rd.static_alive(rv)) return true;
      for (const auto& f : plan.filters) {
        if (!SLUICE_TRY(matches(f, rd.value(rv, f.ordinal)))) return true;
      }
      int64_t n = 0;
      return offer(rv, current_prefix + header_tag, n);
    };
    bool stopped = false;
    for (cursor->seek(from); cursor->valid() && !stopped; cursor->next()) {
      const std::string_view key = cursor->key();
      if (key >= end) break;
      if (after && key <= *after) continue;
      // An end bound at the minimum token means the end of the ring, as in Cassandra.
      if (plan.token_end && plan.token_end->first != INT64_MIN) {
        const int64_t tok = token_in(key);
        if (tok > plan.token_end->first ||
            (tok == plan.token_end->first && !plan.token_end->second))
          break;
      }
      const auto len = prefix_length(t, key);
      if (!len) continue;  // not a row key of this table's layout: skip it
      const std::string_view prefix = key.substr(0, *len);
      if (prefix != current_prefix) {
        if (!SLUICE_TRY(finish_partition())) break;
        current_prefix.assign(prefix);
        in_partition = 0;
        any_in_partition = false;
        header_seen = false;
        header = record{};
      }
      if (!skip_partition.empty() && prefix == skip_partition) continue;
      if (key[*len] == header_tag) {
        header_bytes.assign(cursor->value());
        header = SLUICE_TRY(decode_record(header_bytes));
        header_seen = true;
        continue;
      }
      const std::string_view ck = key.substr(*len + 1);
      bool inside = false;
      for (const auto& r : ranges) inside = inside || within(ck, r.start(), r.end());
      if (!inside) continue;
      const record rec = SLUICE_TRY(decode_record(cursor->value()));
      row_view rv{unpack_values(rec.keys), &rec, &header, header.deleted_at};
      for (const auto& d : header.ranges) {
        if (within(ck, d.start, d.end)) rv.deletion = std::max(rv.deletion, d.timestamp);
      }
      if (!rd.alive(rv)) continue;
      any_in_partition = true;
      if (!SLUICE_TRY(offer(rv, key, in_partition))) {
        stopped = true;
        break;
      }
      if (per_partition >= 0 && in_partition >= per_partition) skip_partition = current_prefix;
    }
    SLUICE_TRY(cursor->status());
    if (!stopped && !full) SLUICE_TRY(finish_partition());
  }

  if (ordered_across) {
    // Rows of several partitions in clustering order: sort by their clustering key bytes.
    auto ck_of = [&](const std::string& key) -> std::string {
      const auto len = prefix_length(t, key);
      return len ? key.substr(*len + 1) : std::string();
    };
    // Stable: rows with equal clustering keys keep their partitions' token order.
    std::vector<std::pair<std::string, size_t>> order;
    for (size_t i = 0; i < sorted_rows.size(); ++i)
      order.emplace_back(ck_of(sorted_rows[i].first), i);
    std::ranges::sort(order, [&](const auto& a, const auto& b) {
      if (a.first != b.first) return reversed ? a.first > b.first : a.first < b.first;
      return a.second < b.second;
    });
    // The LIMIT applies to the sorted rows.
    const size_t keep =
        limit >= 0 ? std::min(order.size(), static_cast<size_t>(limit)) : order.size();
    for (size_t j = 0; j < keep; ++j) {
      for (auto& c : sorted_rows[order[j].second].second) rows.cells.push_back(std::move(c));
    }
    rows.row_count = static_cast<int32_t>(keep);
  }
  if (counting) {
    rows.cells.emplace_back(big_endian(static_cast<uint64_t>(counted), 8));
    rows.row_count = 1;
  } else if (paging && full && !(limit >= 0 && counted >= limit)) {
    rows.metadata.paging_state =
        paging_state(last_key, limit < 0 ? -1 : limit - counted, last_in_partition);
  }
  return out;
}

}  // namespace sluice::store
