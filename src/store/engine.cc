// The engine: opening, preparing (bind markers typed), executing, DDL, batches.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "parser/parser.h"
#include "store/exec.h"

namespace sluice::store {
namespace {

using kind = parser::term::kind;

cql::data_type type_of(cql::type_id id) { return cql::data_type{id, {}}; }

// Collects the bind markers of a statement with the column each one binds.
class binder {
 public:
  binder(const table_schema* t, std::vector<cql::column_spec>& out) : t_(t), out_(&out) {}

  void add(const parser::term& term, std::string name, const cql::data_type& type) {
    if (term.what != kind::bind) return;
    const auto i = static_cast<size_t>(term.bind_index);
    if (out_->size() <= i) out_->resize(i + 1);
    (*out_)[i] =
        cql::column_spec{t_ ? t_->keyspace : "", t_ ? t_->name : "", std::move(name), type};
  }

  void using_clause(const parser::using_clause& u) {
    if (u.ttl) add(*u.ttl, "[ttl]", type_of(cql::type_id::int_));
    if (u.timestamp) add(*u.timestamp, "[timestamp]", type_of(cql::type_id::bigint));
  }

  void where(std::span<const parser::relation> rels) {
    for (const auto& r : rels) {
      if (r.token) {
        for (const auto& v : r.values) {
          add(v, "partition key token", type_of(cql::type_id::bigint));
        }
        continue;
      }
      const column* c = r.columns.size() == 1 ? t_->find(r.columns[0]) : nullptr;
      if (!c) continue;
      if (r.in_marker) {
        add(r.values[0], fmt::format("in({})", c->name),
            cql::data_type{cql::type_id::list, {c->type}});
        continue;
      }
      cql::data_type type = c->type;
      const bool contains =
          r.what == parser::relation::op::contains || r.what == parser::relation::op::contains_key;
      if (contains && !c->type.is_collection()) continue;  // refused when executed
      if (r.what == parser::relation::op::contains_key) type = c->type.params.at(0);
      if (r.what == parser::relation::op::contains) {
        type = c->type.params.at(c->type.id == cql::type_id::map ? 1 : 0);
      }
      for (const auto& v : r.values) add(v, c->name, type);
    }
  }

 private:
  const table_schema* t_;
  std::vector<cql::column_spec>* out_;
};

// Which bind markers give the partition key, in key order (for drivers' token-aware routing);
// empty unless every partition key column is bound by one marker.
std::vector<uint16_t> partition_key_markers(const table_schema& t,
                                            const std::vector<std::pair<std::string, int>>& bound) {
  std::vector<uint16_t> out;
  for (const column* c : t.partition_key()) {
    auto it = std::ranges::find_if(bound, [&](const auto& b) { return b.first == c->name; });
    if (it == bound.end() || it->second < 0) return {};
    out.push_back(static_cast<uint16_t>(it->second));
  }
  return out;
}

}  // namespace

int64_t engine::impl::write_time_us() {
  const int64_t now = options.clock_us();
  last_us = std::max(now, last_us + 1);
  return last_us;
}

int32_t engine::impl::now_s() const { return static_cast<int32_t>(options.clock_us() / 1'000'000); }

engine::engine(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
engine::~engine() = default;

result<std::unique_ptr<engine>> engine::open(engine_options options) {
  auto i = std::make_unique<impl>();
  if (!options.clock_us) {
    options.clock_us = [] {
      return std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return make_error(errc::storage,
                      fmt::format("cannot create {}: {}", options.dir.string(), ec.message()));
  }
  kv_options kvo;
  kvo.sync = options.sync;
  kvo.merge = merge_encoded;
  kvo.block_cache_bytes = options.block_cache_bytes;
  kvo.write_buffer_bytes = options.write_buffer_bytes;
  kvo.compression = options.compression;
  i->kv = SLUICE_TRY(open_rocksdb(options.dir, std::move(kvo)));
  i->cat.emplace(SLUICE_TRY(catalog::open(*i->kv)));
  i->options = std::move(options);
  return std::unique_ptr<engine>(new engine(std::move(i)));
}

const catalog& engine::schema() const { return *impl_->cat; }
const node_info& engine::node() const { return impl_->options.node; }

result<void> engine::commit(std::span<const kv_change> changes) {
  if (changes.empty()) return {};
  return impl_->kv->write(changes);
}

result<std::shared_ptr<const prepared_statement>> engine::prepare(std::string_view query,
                                                                  const session& s) {
  auto p = std::make_shared<prepared_statement>();
  p->stmt = SLUICE_TRY(parser::parse(query));
  p->keyspace = s.keyspace;
  const catalog& cat = *impl_->cat;
  std::vector<std::pair<std::string, int>> key_binds;  // column, marker (for routing)

  auto bind_where = [&](binder& b, const table_schema& t, std::span<const parser::relation> w) {
    b.where(w);
    for (const auto& r : w) {
      if (!r.token && r.columns.size() == 1 && r.what == parser::relation::op::eq &&
          r.values[0].what == kind::bind) {
        key_binds.emplace_back(r.columns[0], r.values[0].bind_index);
      }
    }
    (void)t;
  };

  const table_schema* table = nullptr;
  std::visit(
      [&](const auto& st) {
        using T = std::decay_t<decltype(st)>;
        if constexpr (std::is_same_v<T, parser::insert> || std::is_same_v<T, parser::update> ||
                      std::is_same_v<T, parser::delete_> || std::is_same_v<T, parser::select>) {
          auto ref = find_table(cat, st.table, s.keyspace);
          if (ref) table = ref->schema;
        }
      },
      p->stmt.body);

  auto* body = &p->stmt.body;
  if (auto* ins = std::get_if<parser::insert>(body)) {
    if (!table) return std::unexpected(find_table(cat, ins->table, s.keyspace).error());
    binder b(table, p->bound);
    for (size_t i = 0; i < ins->columns.size(); ++i) {
      const column* c = table->find(ins->columns[i]);
      if (!c) return invalid(fmt::format("Undefined column name {}", ins->columns[i]));
      b.add(ins->values[i], c->name, c->type);
      if (ins->values[i].what == kind::bind)
        key_binds.emplace_back(c->name, ins->values[i].bind_index);
    }
    b.using_clause(ins->using_);
    p->conditional = ins->if_not_exists;
    p->writes = true;
  } else if (auto* up = std::get_if<parser::update>(body)) {
    if (!table) return std::unexpected(find_table(cat, up->table, s.keyspace).error());
    binder b(table, p->bound);
    b.using_clause(up->using_);
    for (const auto& a : up->assignments) {
      const column* c = table->find(a.column);
      if (!c) return invalid(fmt::format("Undefined column name {}", a.column));
      b.add(a.value, c->name, c->type);
    }
    bind_where(b, *table, up->where);
    p->conditional = up->if_exists;
    p->writes = true;
  } else if (auto* del = std::get_if<parser::delete_>(body)) {
    if (!table) return std::unexpected(find_table(cat, del->table, s.keyspace).error());
    binder b(table, p->bound);
    b.using_clause(del->using_);
    bind_where(b, *table, del->where);
    p->conditional = del->if_exists;
    p->writes = true;
  } else if (auto* sel = std::get_if<parser::select>(body)) {
    if (!table) return std::unexpected(find_table(cat, sel->table, s.keyspace).error());
    binder b(table, p->bound);
    bind_where(b, *table, sel->where);
    if (sel->per_partition_limit) {
      b.add(*sel->per_partition_limit, "[per_partition_limit]", type_of(cql::type_id::int_));
    }
    if (sel->limit) b.add(*sel->limit, "[limit]", type_of(cql::type_id::int_));
    p->result_columns = SLUICE_TRY(select_metadata(*table, *sel));
  }
  if (table) p->partition_key_indexes = partition_key_markers(*table, key_binds);
  if (static_cast<int>(p->bound.size()) < p->stmt.bind_count) {
    p->bound.resize(static_cast<size_t>(p->stmt.bind_count));
  }
  for (size_t i = 0; i < p->bound.size(); ++i) {
    if (p->bound[i].name.empty()) {
      return invalid(
          "Bind markers are only supported for values of columns, TTL, TIMESTAMP, "
          "LIMIT and token()");
    }
    if (!p->stmt.bind_names[i].empty()) p->bound[i].name = p->stmt.bind_names[i];
  }
  return std::shared_ptr<const prepared_statement>(std::move(p));
}

result<outcome> engine::execute(const prepared_statement& p, session& s,
                                std::span<const cql::wire::value> values, const execution& how) {
  if (values.size() != p.bound.size()) {
    return invalid(fmt::format("There were {} markers(?) in CQL but {} bound variables",
                               p.bound.size(), values.size()));
  }
  const auto& body = p.stmt.body;
  if (std::holds_alternative<parser::select>(body)) {
    return impl_->execute_select(p, s, values, how);
  }
  if (p.conditional) return impl_->execute_conditional(p, s, values, how);
  if (how.timestamp && *how.timestamp == no_timestamp) return invalid("Out of bound timestamp");
  if (p.writes) {
    outcome out;
    const int64_t ts = how.timestamp.value_or(impl_->write_time_us());
    SLUICE_TRY(impl_->plan_write(p, p.stmt, s, values, ts, out.changes));
    return out;
  }
  if (std::holds_alternative<parser::batch>(body)) {
    const auto& b = std::get<parser::batch>(body);
    if (b.what == parser::batch::kind::counter) return invalid("Counter batches are not supported");
    outcome out;
    int64_t ts = how.timestamp.value_or(impl_->write_time_us());
    if (b.using_.ttl) return invalid("A BATCH cannot have a TTL; give it to its statements");
    if (b.using_.timestamp) {
      auto t = SLUICE_TRY(evaluate_integer(*b.using_.timestamp, true, "[timestamp]", values));
      if (t) ts = *t;
    }
    for (const auto& inner : b.statements) {
      const bool conditional = std::visit(
          [](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, parser::insert>) return x.if_not_exists;
            if constexpr (std::is_same_v<T, parser::update> || std::is_same_v<T, parser::delete_>) {
              return x.if_exists;
            }
            return false;
          },
          inner.body);
      if (conditional) {
        return invalid("Conditional statements in a BATCH are not supported by sluice's store");
      }
      SLUICE_TRY(impl_->plan_write(p, inner, s, values, ts, out.changes));
    }
    return out;
  }
  return impl_->execute_ddl(p.stmt, s);
}

result<outcome> engine::execute_batch(
    std::span<const std::pair<const prepared_statement*, std::span<const cql::wire::value>>>
        statements,
    session& s, const execution& how) {
  outcome out;
  const int64_t ts = how.timestamp.value_or(impl_->write_time_us());
  for (const auto& [p, values] : statements) {
    if (!p->writes)
      return invalid("Only INSERT, UPDATE and DELETE statements are allowed in a BATCH");
    if (p->conditional) {
      return invalid("Conditional statements in a BATCH are not supported by sluice's store");
    }
    if (values.size() != p->bound.size()) {
      return invalid(fmt::format("There were {} markers(?) in CQL but {} bound variables",
                                 p->bound.size(), values.size()));
    }
    SLUICE_TRY(impl_->plan_write(*p, p->stmt, s, values, ts, out.changes));
  }
  return out;
}

result<cql::result_response> engine::run(std::string_view query, session& s,
                                         std::span<const cql::wire::value> values) {
  auto p = SLUICE_TRY(prepare(query, s));
  outcome out = SLUICE_TRY(execute(*p, s, values, {}));
  SLUICE_TRY(commit(out.changes));
  return std::move(out.response);
}

result<outcome> engine::impl::execute_ddl(const parser::statement& st, session& s) {
  outcome out;
  auto& c = *cat;
  auto changed = [&](std::string change, std::string target, std::string ks, std::string name) {
    cql::schema_change sc{std::move(change), std::move(target), std::move(ks), std::move(name)};
    out.response.kind = cql::result_kind::schema_change;
    out.response.change = sc;
    out.schema_event = std::move(sc);
  };
  const auto& body = st.body;
  if (const auto* ck = std::get_if<parser::create_keyspace>(&body)) {
    if (SLUICE_TRY(c.create_keyspace(*ck))) changed("CREATED", "KEYSPACE", ck->name, "");
  } else if (const auto* dk = std::get_if<parser::drop_keyspace>(&body)) {
    if (SLUICE_TRY(c.drop_keyspace(dk->name, dk->if_exists))) {
      changed("DROPPED", "KEYSPACE", dk->name, "");
      if (s.keyspace == dk->name) s.keyspace.clear();
    }
  } else if (const auto* use = std::get_if<parser::use_keyspace>(&body)) {
    if (!c.keyspace(use->name) && !catalog::is_system_keyspace(use->name)) {
      return invalid(fmt::format("Keyspace '{}' does not exist", use->name));
    }
    s.keyspace = use->name;
    out.response.kind = cql::result_kind::set_keyspace;
    out.response.keyspace = use->name;
  } else if (const auto* ct = std::get_if<parser::create_table>(&body)) {
    table_schema t = SLUICE_TRY(table_from(*ct, s.keyspace));
    const std::string ks = t.keyspace, name = t.name;
    if (SLUICE_TRY(c.create_table(std::move(t), ct->if_not_exists))) {
      changed("CREATED", "TABLE", ks, name);
    }
  } else if (const auto* dt = std::get_if<parser::drop_table>(&body)) {
    const std::string ks = SLUICE_TRY(resolve_keyspace(dt->table.keyspace, s.keyspace));
    if (SLUICE_TRY(c.drop_table(ks, dt->table.name, dt->if_exists))) {
      changed("DROPPED", "TABLE", ks, dt->table.name);
    }
  } else if (const auto* tt = std::get_if<parser::truncate_table>(&body)) {
    const table_ref ref = SLUICE_TRY(find_table(c, tt->table, s.keyspace));
    if (ref.system) return invalid("system tables cannot be truncated");
    out.changes.push_back(
        kv_change::erase_range(table_prefix(ref.schema->id), table_end(ref.schema->id)));
  } else if (const auto* at = std::get_if<parser::alter_table_add>(&body)) {
    const table_ref ref = SLUICE_TRY(find_table(c, at->table, s.keyspace));
    if (ref.system)
      return invalid(fmt::format("{} keyspace is not user-modifiable", ref.schema->keyspace));
    auto cols = SLUICE_TRY(columns_to_add(*ref.schema, *at));
    SLUICE_TRY(c.add_columns(ref.schema->keyspace, ref.schema->name, std::move(cols)));
    changed("UPDATED", "TABLE", ref.schema->keyspace, ref.schema->name);
  } else {
    return invalid("unsupported statement");
  }
  return out;
}

}  // namespace sluice::store
