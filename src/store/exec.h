// Internals shared by the engine's files (engine.cc, where.cc, write.cc, select.cc): the engine's
// state, values of terms, table lookup, and the analysis of WHERE clauses. Not part of the
// store's interface.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/cells.h"
#include "store/engine.h"
#include "store/keys.h"

namespace sluice::store {

using bytes = std::vector<uint8_t>;

struct engine::impl {
  engine_options options;
  std::unique_ptr<kv_store> kv;
  std::optional<catalog> cat;
  int64_t last_us = 0;

  // A write timestamp: the clock, made strictly increasing so that writes from one store are
  // ordered even within a microsecond.
  int64_t write_time_us();
  [[nodiscard]] int32_t now_s() const;

  result<outcome> execute_ddl(const parser::statement& st, session& s);
  result<outcome> execute_select(const prepared_statement& p, const session& s,
                                 std::span<const cql::wire::value> values, const execution& how);
  // Appends the changes of one INSERT, UPDATE or DELETE.
  result<void> plan_write(const prepared_statement& p, const parser::statement& st,
                          const session& s, std::span<const cql::wire::value> values,
                          int64_t timestamp, std::vector<kv_change>& out);
  // IF [NOT] EXISTS: reads, then writes or not, answering with [applied].
  result<outcome> execute_conditional(const prepared_statement& p, const session& s,
                                      std::span<const cql::wire::value> values,
                                      const execution& how);
};

std::unexpected<error> invalid(std::string message);

// A term's value for a column of `type`: bound (from `values`) or literal.
struct term_value {
  enum kind : uint8_t { set, null, unset } what = set;
  bytes data;
};
result<term_value> evaluate(const parser::term& t, const cql::data_type& type,
                            std::string_view column, std::span<const cql::wire::value> values);
// An int (LIMIT, TTL) or bigint (TIMESTAMP, token) term.
result<std::optional<int64_t>> evaluate_integer(const parser::term& t, bool big,
                                                std::string_view what,
                                                std::span<const cql::wire::value> values);

// The table a statement names: a user table, or a system table (then `system` is set).
struct table_ref {
  const table_schema* schema = nullptr;
  const system_table* system = nullptr;
};
result<table_ref> find_table(const catalog& c, const parser::qualified_name& name,
                             std::string_view session_keyspace);
std::string keyspace_of(const parser::qualified_name& name, std::string_view session_keyspace);

// The restrictions of a WHERE clause, sorted by what they restrict.
struct slice_bound {
  bytes value;
  bool inclusive = true;
};

struct filter {
  const column* col = nullptr;
  uint16_t ordinal = 0;
  parser::relation::op op = parser::relation::op::eq;
  std::vector<bytes> values;
};

struct where_plan {
  // Each partition named by = and IN (their cartesian product): its key values in key order.
  // Empty when the partition key is not restricted: then the query scans.
  std::vector<std::vector<bytes>> partitions;
  std::optional<std::pair<int64_t, bool>> token_start;  // value, inclusive
  std::optional<std::pair<int64_t, bool>> token_end;
  // The values of the first `clustering_fixed` clustering columns (= and IN, their product).
  std::vector<std::vector<bytes>> clustering_prefixes{{}};
  size_t clustering_fixed = 0;
  // A range on clustering column number `clustering_fixed`.
  std::optional<slice_bound> slice_low;
  std::optional<slice_bound> slice_high;
  std::vector<filter> filters;  // checked on each row (ALLOW FILTERING)
  bool no_rows = false;         // an empty IN: nothing matches

  [[nodiscard]] bool restricts_clustering() const {
    return clustering_fixed > 0 || slice_low || slice_high;
  }
};

enum class where_use : uint8_t { select, update, delete_ };
result<where_plan> plan_where(const table_schema& t, std::span<const parser::relation> where,
                              std::span<const cql::wire::value> values, bool allow_filtering,
                              where_use use);

// A range of rows within a partition, in the rows' encoded clustering form.
struct clustering_range {
  std::string start_prefix;
  bool start_inclusive = true;
  std::string end_prefix;
  bool end_inclusive = true;
  [[nodiscard]] bound start() const { return {start_prefix, start_inclusive}; }
  [[nodiscard]] bound end() const { return {end_prefix, end_inclusive}; }
};
// One per clustering prefix, in key order, without duplicates.
result<std::vector<clustering_range>> clustering_ranges(const table_schema& t,
                                                        const where_plan& plan);

// Whether a value satisfies a filter (null never does).
result<bool> matches(const filter& f, const std::optional<bytes_view>& value);

// The columns a SELECT returns.
result<std::vector<cql::column_spec>> select_metadata(const table_schema& t,
                                                      const parser::select& sel);

// Ordinal of a column in its table (its index in table_schema::columns).
uint16_t ordinal_of(const table_schema& t, const column* c);

}  // namespace sluice::store
