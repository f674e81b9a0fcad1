// Values of terms, table lookup and WHERE analysis, with Cassandra's rules and messages.
#include <algorithm>

#include <fmt/format.h>

#include "cql/key_encoding.h"
#include "store/exec.h"
#include "store/literals.h"

namespace sluice::store {
namespace {

using op = parser::relation::op;

std::string encoded(const cql::data_type& type, bytes_view v) {
  byte_writer w(v.size() + 8);
  if (!cql::encode_key_component(type, v, false, w)) return {};
  return std::string(as_string_view(w.view()));
}

// The elements of a serialized list or set, or a map's keys (keys) or values (!keys).
std::vector<bytes_view> elements(const cql::data_type& type, bytes_view v, bool keys) {
  std::vector<bytes_view> out;
  byte_reader r(v);
  auto n = r.read_i32();
  if (!n) return out;
  const bool is_map = type.id == cql::type_id::map;
  for (int32_t i = 0; i < *n; ++i) {
    for (int part = 0; part < (is_map ? 2 : 1); ++part) {
      auto len = r.read_i32();
      if (!len || *len < 0) return out;
      auto b = r.read_bytes(static_cast<size_t>(*len));
      if (!b) return out;
      if (!is_map || (part == 0) == keys) out.push_back(*b);
    }
  }
  return out;
}

bool equal_bytes(bytes_view a, bytes_view b) { return std::ranges::equal(a, b); }

// Combinations of IN values a statement may name, as a bound on the work one request can ask for.
constexpr size_t max_combinations = 10'000;

// The cartesian product of per-column value lists (at most max_combinations; checked before).
std::vector<std::vector<bytes>> product(const std::vector<std::vector<bytes>>& columns) {
  std::vector<std::vector<bytes>> out{{}};
  for (const auto& values : columns) {
    std::vector<std::vector<bytes>> next;
    next.reserve(out.size() * values.size());
    for (const auto& prefix : out) {
      for (const auto& v : values) {
        next.push_back(prefix);
        next.back().push_back(v);
      }
    }
    out = std::move(next);
  }
  return out;
}

constexpr std::string_view filtering_message =
    "Cannot execute this query as it might involve data filtering and thus may have "
    "unpredictable performance. If you want to execute this query despite the performance "
    "unpredictability, use ALLOW FILTERING";

// Restrictions gathered per key column before they are checked.
struct column_restriction {
  std::vector<bytes> eq;  // = (one value) or IN (several)
  bool has_eq = false;
  std::optional<slice_bound> low;
  std::optional<slice_bound> high;
  std::vector<filter> other;  // restrictions only filtering can serve (!=, CONTAINS, ...)
  [[nodiscard]] bool any() const { return has_eq || low || high || !other.empty(); }
};

result<void> check_product(const std::vector<std::vector<bytes>>& columns) {
  size_t n = 1;
  for (const auto& values : columns) {
    if (values.empty()) return {};
    n *= values.size();
    if (n > max_combinations) {
      return make_error(errc::invalid,
                        fmt::format("IN restrictions name more than {} combinations of key "
                                    "values; split the query",
                                    max_combinations));
    }
  }
  return {};
}

}  // namespace

std::unexpected<error> invalid(std::string message) {
  return make_error(errc::invalid, std::move(message));
}

uint16_t ordinal_of(const table_schema& t, const column* c) {
  return static_cast<uint16_t>(c - t.columns.data());
}

result<term_value> evaluate(const parser::term& t, const cql::data_type& type,
                            std::string_view column, std::span<const cql::wire::value> values) {
  if (t.what == parser::term::kind::bind) {
    if (t.bind_index < 0 || static_cast<size_t>(t.bind_index) >= values.size()) {
      return invalid(fmt::format("No value bound for \"{}\"", column));
    }
    const auto& v = values[static_cast<size_t>(t.bind_index)];
    if (v.what == cql::wire::value::null) return term_value{term_value::null, {}};
    if (v.what == cql::wire::value::unset) return term_value{term_value::unset, {}};
    if (auto ok = type.validate(v.bytes); !ok) {
      return invalid(fmt::format("Invalid value for \"{}\" of type {}: {}", column, type.name(),
                                 ok.error().message));
    }
    return term_value{term_value::set, normalize_collection(type, v.bytes)};
  }
  if (t.what == parser::term::kind::null) return term_value{term_value::null, {}};
  for (const auto& item : t.items) {
    if (item.what == parser::term::kind::bind) {
      return invalid(fmt::format(
          "Bind markers inside a collection literal are not supported (for \"{}\"); bind the "
          "whole collection",
          column));
    }
  }
  return term_value{term_value::set, SLUICE_TRY(literal_value(t, type, column))};
}

result<std::optional<int64_t>> evaluate_integer(const parser::term& t, bool big,
                                                std::string_view what,
                                                std::span<const cql::wire::value> values) {
  const cql::data_type type{big ? cql::type_id::bigint : cql::type_id::int_, {}};
  const term_value v = SLUICE_TRY(evaluate(t, type, what, values));
  if (v.what != term_value::set) {
    if (v.what == term_value::unset) return std::optional<int64_t>{};
    return invalid(fmt::format("Invalid null value of {}", what));
  }
  int64_t x = 0;
  for (uint8_t b : v.data) x = (x << 8) | b;
  if (!big) x = static_cast<int32_t>(static_cast<uint32_t>(x));
  return std::optional(x);
}

std::string keyspace_of(const parser::qualified_name& name, std::string_view session_keyspace) {
  return name.keyspace.empty() ? std::string(session_keyspace) : name.keyspace;
}

result<table_ref> find_table(const catalog& c, const parser::qualified_name& name,
                             std::string_view session_keyspace) {
  const std::string ks = SLUICE_TRY(resolve_keyspace(name.keyspace, session_keyspace));
  if (const system_table* s = find_system_table(ks, name.name)) return table_ref{&s->schema(), s};
  if (const table_schema* t = c.table(ks, name.name)) return table_ref{t, nullptr};
  if (!c.keyspace(ks) && !catalog::is_system_keyspace(ks)) {
    return invalid(fmt::format("Keyspace {} does not exist", ks));
  }
  return invalid(fmt::format("unconfigured table {}", name.name));
}

result<bool> matches(const filter& f, const std::optional<bytes_view>& value) {
  if (!value) return false;
  const auto& type = f.col->type;
  auto cmp = [&](const bytes& other) -> int {
    if (type.is_collection()) return equal_bytes(*value, other) ? 0 : 1;
    const std::string a = encoded(type, *value), b = encoded(type, other);
    return a < b ? -1 : (a == b ? 0 : 1);
  };
  switch (f.op) {
    case op::eq: return cmp(f.values[0]) == 0;
    case op::ne: return cmp(f.values[0]) != 0;
    case op::lt: return cmp(f.values[0]) < 0;
    case op::le: return cmp(f.values[0]) <= 0;
    case op::gt: return cmp(f.values[0]) > 0;
    case op::ge: return cmp(f.values[0]) >= 0;
    case op::in: return std::ranges::any_of(f.values, [&](const bytes& v) { return cmp(v) == 0; });
    case op::contains:
    case op::contains_key: {
      const bool keys = f.op == op::contains_key;
      for (bytes_view e : elements(type, *value, keys)) {
        if (equal_bytes(e, f.values[0])) return true;
      }
      return false;
    }
  }
  return false;
}

result<where_plan> plan_where(const table_schema& t, std::span<const parser::relation> where,
                              std::span<const cql::wire::value> values, bool allow_filtering,
                              where_use use) {
  where_plan plan;
  const auto pk = t.partition_key();
  const auto ck = t.clustering();
  std::vector<column_restriction> pk_r(pk.size()), ck_r(ck.size());
  bool token_used = false;

  for (const auto& rel : where) {
    if (rel.token) {
      if (use != where_use::select) {
        return invalid(
            "The token function cannot be used in WHERE clauses for UPDATE and DELETE "
            "statements");
      }
      bool in_order = rel.columns.size() == pk.size();
      for (size_t i = 0; in_order && i < pk.size(); ++i) in_order = rel.columns[i] == pk[i]->name;
      if (!in_order) {
        std::vector<std::string> names;
        for (const column* c : pk) names.push_back(c->name);
        return invalid(
            fmt::format("The token function arguments must be in the partition key order: {}",
                        fmt::join(names, ", ")));
      }
      if (rel.values.size() != 1) return invalid("token() restrictions take one value");
      const auto v =
          SLUICE_TRY(evaluate_integer(rel.values[0], true, "partition key token", values));
      if (!v) continue;
      const std::pair<int64_t, bool> b{
          *v, rel.what == op::ge || rel.what == op::le || rel.what == op::eq};
      switch (rel.what) {
        case op::eq: plan.token_start = plan.token_end = b; break;
        case op::gt:
        case op::ge: plan.token_start = b; break;
        case op::lt:
        case op::le: plan.token_end = b; break;
        default: return invalid("Only EQ, <, <=, > and >= are supported on token()");
      }
      token_used = true;
      continue;
    }
    if (rel.columns.size() != 1) {
      return invalid("Multi-column relations are not supported by sluice's store");
    }
    const column* c = t.find(rel.columns[0]);
    if (!c) return invalid(fmt::format("Undefined column name {}", rel.columns[0]));
    const bool key = c->kind == column_kind::partition_key || c->kind == column_kind::clustering;
    if (!key && use != where_use::select) {
      return invalid(fmt::format("Non PRIMARY KEY columns found in where clause: {}", c->name));
    }

    filter f{c, ordinal_of(t, c), rel.what, {}};
    const cql::data_type* vtype = &c->type;
    cql::data_type element;
    if (rel.what == op::contains || rel.what == op::contains_key) {
      if (!c->type.is_collection()) {
        return invalid(fmt::format("Cannot use {} on non-collection column {}",
                                   rel.what == op::contains ? "CONTAINS" : "CONTAINS KEY",
                                   c->name));
      }
      element = rel.what == op::contains_key || c->type.id != cql::type_id::map
                    ? c->type.params.at(0)
                    : c->type.params.at(1);
      vtype = &element;
    }
    if (rel.in_marker) {
      const cql::data_type list{cql::type_id::list, {c->type}};
      const term_value v = SLUICE_TRY(evaluate(rel.values[0], list, c->name, values));
      if (v.what != term_value::set) {
        return invalid(fmt::format("Invalid null value for IN restriction on {}", c->name));
      }
      for (bytes_view e : elements(list, v.data, true)) f.values.emplace_back(e.begin(), e.end());
    } else {
      for (const auto& term : rel.values) {
        const term_value v = SLUICE_TRY(evaluate(term, *vtype, c->name, values));
        if (v.what == term_value::unset) {
          return invalid(fmt::format("Invalid unset value for column {}", c->name));
        }
        if (v.what == term_value::null) {
          return invalid(fmt::format("Invalid null value in condition for column {}", c->name));
        }
        f.values.push_back(v.data);
      }
    }

    if (!key) {
      plan.filters.push_back(std::move(f));
      continue;
    }
    auto& r = c->kind == column_kind::partition_key ? pk_r[static_cast<size_t>(c->position)]
                                                    : ck_r[static_cast<size_t>(c->position)];
    switch (rel.what) {
      case op::eq:
      case op::in:
        if (r.has_eq || r.low || r.high) {
          return invalid(fmt::format(
              "{} cannot be restricted by more than one relation if it includes an Equal",
              c->name));
        }
        r.has_eq = true;
        r.eq = std::move(f.values);
        break;
      case op::gt:
      case op::ge:
      case op::lt:
      case op::le: {
        if (r.has_eq) {
          return invalid(fmt::format(
              "{} cannot be restricted by more than one relation if it includes an Equal",
              c->name));
        }
        const bool lower = rel.what == op::gt || rel.what == op::ge;
        auto& b = lower ? r.low : r.high;
        if (b) {
          return invalid(fmt::format("More than one restriction was found for the {} bound on {}",
                                     lower ? "start" : "end", c->name));
        }
        b = slice_bound{std::move(f.values[0]), rel.what == op::ge || rel.what == op::le};
        if (c->kind == column_kind::partition_key)
          r.other.push_back(filter{c, f.ordinal, rel.what, {b->value}});
        break;
      }
      default: r.other.push_back(std::move(f)); break;
    }
  }

  // The partition key: every column by = or IN, or none (a scan, perhaps by token).
  const size_t pk_eq =
      static_cast<size_t>(std::ranges::count_if(pk_r, [](const auto& r) { return r.has_eq; }));
  const bool pk_complete = pk_eq == pk.size();
  const bool pk_other = std::ranges::any_of(pk_r, [](const auto& r) { return !r.other.empty(); });
  if (pk_complete && token_used) {
    return invalid(
        "Columns of the partition key cannot be restricted by both a normal relation "
        "and a token relation");
  }
  if (pk_complete && !pk_other) {
    std::vector<std::vector<bytes>> lists;
    for (auto& r : pk_r) lists.push_back(r.eq);
    SLUICE_TRY(check_product(lists));
    plan.partitions = product(lists);
    plan.no_rows = plan.partitions.empty();  // an empty IN names no partition
  } else if (use != where_use::select) {
    std::vector<std::string> missing;
    for (size_t i = 0; i < pk.size(); ++i) {
      if (!pk_r[i].has_eq) missing.push_back(pk[i]->name);
    }
    return invalid(
        fmt::format("Some partition key parts are missing: {}", fmt::join(missing, ", ")));
  } else if (pk_eq > 0 || pk_other) {
    if (!allow_filtering) {
      std::vector<std::string> unrestricted;
      for (size_t i = 0; i < pk.size(); ++i) {
        if (!pk_r[i].has_eq) unrestricted.push_back(pk[i]->name);
      }
      if (pk_other && pk_eq == pk.size()) {
        return invalid(
            "Only EQ and IN relation are supported on the partition key (unless you "
            "use the token() function or allow filtering)");
      }
      return invalid(fmt::format("Partition key parts: {} must be restricted as other parts are",
                                 fmt::join(unrestricted, ", ")));
    }
    for (size_t i = 0; i < pk.size(); ++i) {
      auto& r = pk_r[i];
      if (r.has_eq) {
        plan.filters.push_back(filter{pk[i], ordinal_of(t, pk[i]), op::in, r.eq});
      }
      for (auto& f : r.other) plan.filters.push_back(std::move(f));
    }
  }

  // Clustering columns: = and IN on a prefix, then at most one range; anything after is
  // filtering.
  std::vector<std::vector<bytes>> prefix_lists;
  size_t i = 0;
  for (; i < ck.size() && ck_r[i].has_eq && ck_r[i].other.empty(); ++i) {
    prefix_lists.push_back(ck_r[i].eq);
  }
  plan.clustering_fixed = i;
  if (i < ck.size() && (ck_r[i].low || ck_r[i].high) && ck_r[i].other.empty()) {
    plan.slice_low = ck_r[i].low;
    plan.slice_high = ck_r[i].high;
    ++i;
  }
  for (size_t j = i; j < ck.size(); ++j) {
    auto& r = ck_r[j];
    if (!r.any()) continue;
    if (!allow_filtering || use != where_use::select) {
      if (use == where_use::update && r.has_eq) break;  // reported below as a missing key
      const std::string preceding = j > 0 ? ck[j - 1]->name : ck[j]->name;
      if (!r.other.empty() && use == where_use::select)
        return invalid(std::string(filtering_message));
      return invalid(fmt::format(
          "PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{}\" is not "
          "restricted",
          ck[j]->name, j > 0 ? ck[j - 1]->name : preceding));
    }
    if (r.has_eq) plan.filters.push_back(filter{ck[j], ordinal_of(t, ck[j]), op::in, r.eq});
    if (r.low) {
      plan.filters.push_back(
          filter{ck[j], ordinal_of(t, ck[j]), r.low->inclusive ? op::ge : op::gt, {r.low->value}});
    }
    if (r.high) {
      plan.filters.push_back(filter{
          ck[j], ordinal_of(t, ck[j]), r.high->inclusive ? op::le : op::lt, {r.high->value}});
    }
    for (auto& f : r.other) plan.filters.push_back(std::move(f));
  }
  SLUICE_TRY(check_product(prefix_lists));
  plan.clustering_prefixes = product(prefix_lists);
  if (plan.clustering_prefixes.empty()) plan.no_rows = true;

  if (use == where_use::select && !allow_filtering) {
    if (!plan.filters.empty()) return invalid(std::string(filtering_message));
    if (plan.partitions.empty() && plan.restricts_clustering()) {
      return invalid(std::string(filtering_message));
    }
  }
  if (use == where_use::update && plan.clustering_fixed < ck.size()) {
    std::vector<std::string> missing;
    for (size_t j = plan.clustering_fixed; j < ck.size(); ++j) missing.push_back(ck[j]->name);
    return invalid(fmt::format("Some clustering keys are missing: {}", fmt::join(missing, ", ")));
  }
  return plan;
}

result<std::vector<clustering_range>> clustering_ranges(const table_schema& t,
                                                        const where_plan& plan) {
  const auto ck = t.clustering();
  std::vector<clustering_range> out;
  for (const auto& values : plan.clustering_prefixes) {
    std::vector<bytes_view> views(values.begin(), values.end());
    const std::string prefix = SLUICE_TRY(clustering_prefix(t, views));
    clustering_range r{prefix, true, prefix, true};
    if (plan.slice_low || plan.slice_high) {
      const column* c = ck[plan.clustering_fixed];
      auto with = [&](const slice_bound& b) -> result<std::string> {
        byte_writer w;
        SLUICE_TRY(cql::encode_key_component(c->type, b.value, c->descending, w));
        return prefix + std::string(as_string_view(w.view()));
      };
      // A DESC column's encoding is inverted: its low values bound the end of the range.
      const auto& start = c->descending ? plan.slice_high : plan.slice_low;
      const auto& end = c->descending ? plan.slice_low : plan.slice_high;
      if (start) r = {SLUICE_TRY(with(*start)), start->inclusive, r.end_prefix, r.end_inclusive};
      if (end) {
        r.end_prefix = SLUICE_TRY(with(*end));
        r.end_inclusive = end->inclusive;
      }
    }
    out.push_back(std::move(r));
  }
  std::ranges::sort(out,
                    [](const auto& a, const auto& b) { return a.start_prefix < b.start_prefix; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& a, const auto& b) {
                          return a.start_prefix == b.start_prefix &&
                                 a.start_inclusive == b.start_inclusive &&
                                 a.end_prefix == b.end_prefix && a.end_inclusive == b.end_inclusive;
                        }),
            out.end());
  return out;
}

}  // namespace sluice::store
