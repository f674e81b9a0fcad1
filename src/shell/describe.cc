#include "shell/describe.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "cql/values.h"

namespace sluice::shell {
namespace {

using cql::result_set;

std::unexpected<error> usage(std::string message) {
  return make_error(cql::error_code::invalid, std::move(message));
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string w;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ';') {
      if (!w.empty()) out.push_back(std::move(w));
      w.clear();
    } else {
      w.push_back(c);
    }
  }
  if (!w.empty()) out.push_back(std::move(w));
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A name as typed: "Quoted" keeps its case, others are folded to lower case.
std::string unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < s.size(); ++i) {
      out.push_back(s[i]);
      if (s[i] == '"') ++i;
    }
    return out;
  }
  return lower(std::string(s));
}

// Rows of a system_schema query as maps from column name to cell.
struct table_rows {
  result_set r;
  [[nodiscard]] size_t size() const { return static_cast<size_t>(r.rows.row_count); }
  [[nodiscard]] const std::optional<std::vector<uint8_t>>* get(size_t row,
                                                               std::string_view col) const {
    const auto& cols = r.rows.metadata.columns;
    for (size_t c = 0; c < cols.size(); ++c) {
      if (cols[c].name == col) return &cql::cell_at(r, row, c);
    }
    return nullptr;
  }
  [[nodiscard]] std::string text(size_t row, std::string_view col) const {
    const auto* c = get(row, col);
    if (!c || !*c) return {};
    return std::string(c->value().begin(), c->value().end());
  }
  [[nodiscard]] int32_t integer(size_t row, std::string_view col) const {
    const auto* c = get(row, col);
    if (!c || !*c) return -1;
    return cql::decode_int(**c).value_or(-1);
  }
  [[nodiscard]] const cql::data_type* type(std::string_view col) const {
    for (const auto& c : r.rows.metadata.columns) {
      if (c.name == col) return &c.type;
    }
    return nullptr;
  }
};

result<table_rows> query(cql::session& s, const std::string& q, std::vector<std::string> args) {
  std::vector<cql::value> values;
  for (auto& a : args) values.push_back(cql::value::of(cql::encode_text(a)));
  cql::statement_options o;
  o.page_size = 0;
  return table_rows{SLUICE_TRY(s.execute(q, std::move(values), o))};
}

bool keyword(std::string_view w) {
  static constexpr std::array<std::string_view, 60> reserved{
      "add",      "allow",   "alter",    "and",          "apply",  "asc",    "authorize",
      "batch",    "begin",   "by",       "columnfamily", "create", "delete", "desc",
      "describe", "drop",    "entries",  "execute",      "from",   "full",   "grant",
      "if",       "in",      "index",    "infinity",     "insert", "into",   "is",
      "keyspace", "limit",   "mbean",    "mbeans",       "modify", "nan",    "norecursive",
      "not",      "null",    "of",       "on",           "or",     "order",  "primary",
      "rename",   "replace", "revoke",   "schema",       "select", "set",    "table",
      "to",       "token",   "truncate", "unlogged",     "update", "use",    "using",
      "view",     "where",   "with",     "default"};
  return std::ranges::find(reserved, w) != reserved.end();
}

std::string format_option(const cql::data_type& type, const std::vector<uint8_t>& v) {
  return cql::format_value(type, v, cql::format_style::cql);
}

result<std::string> create_keyspace(cql::session& s, const std::string& ks) {
  auto rows =
      SLUICE_TRY(query(s, "SELECT * FROM system_schema.keyspaces WHERE keyspace_name = ?", {ks}));
  if (rows.size() == 0) return usage(fmt::format("Keyspace '{}' not found.", ks));
  std::string replication = "{}";
  if (const auto* c = rows.get(0, "replication"); c && *c) {
    replication = format_option(*rows.type("replication"), **c);
  }
  bool durable = true;
  if (const auto* c = rows.get(0, "durable_writes"); c && *c) {
    durable = cql::decode_boolean(**c).value_or(true);
  }
  return fmt::format("CREATE KEYSPACE {} WITH replication = {}  AND durable_writes = {};\n",
                     quote_name(ks), replication, durable ? "true" : "false");
}

result<std::string> create_table(cql::session& s, const std::string& ks, const std::string& t) {
  auto cols = SLUICE_TRY(
      query(s, "SELECT * FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
            {ks, t}));
  if (cols.size() == 0) return usage(fmt::format("Table '{}.{}' not found.", ks, t));
  struct col {
    std::string name, kind, type, order;
    int position;
  };
  std::vector<col> all;
  for (size_t i = 0; i < cols.size(); ++i) {
    all.push_back({cols.text(i, "column_name"), cols.text(i, "kind"), cols.text(i, "type"),
                   cols.text(i, "clustering_order"), cols.integer(i, "position")});
  }
  auto by_kind = [&](std::string_view kind) {
    std::vector<col> out;
    for (const auto& c : all) {
      if (c.kind == kind) out.push_back(c);
    }
    std::ranges::sort(out, [](const col& a, const col& b) {
      return a.position != b.position ? a.position < b.position : a.name < b.name;
    });
    return out;
  };
  const auto pk = by_kind("partition_key");
  const auto ck = by_kind("clustering");
  auto rest = by_kind("regular");
  for (const auto& c : by_kind("static")) rest.push_back(c);
  std::ranges::sort(rest, {}, &col::name);

  std::string out = fmt::format("CREATE TABLE {}.{} (\n", quote_name(ks), quote_name(t));
  const bool simple = pk.size() == 1 && ck.empty();
  auto line = [&](const col& c, bool primary) {
    out += fmt::format("    {} {}{}{},\n", quote_name(c.name), c.type,
                       c.kind == "static" ? " static" : "", primary ? " PRIMARY KEY" : "");
  };
  for (const auto& c : pk) line(c, simple);
  for (const auto& c : ck) line(c, false);
  for (const auto& c : rest) line(c, false);
  if (simple) {
    out.resize(out.size() - 2);  // the last ",\n"
    out += "\n";
  } else {
    std::vector<std::string> p, k;
    for (const auto& c : pk) p.push_back(quote_name(c.name));
    for (const auto& c : ck) k.push_back(quote_name(c.name));
    const std::string partition = pk.size() == 1 ? p[0] : fmt::format("({})", fmt::join(p, ", "));
    out += fmt::format("    PRIMARY KEY ({}{}{})\n", partition, k.empty() ? "" : ", ",
                       fmt::join(k, ", "));
  }
  out += ")";
  std::vector<std::string> with;
  if (!ck.empty()) {
    std::vector<std::string> order;
    for (const auto& c : ck) {
      order.push_back(fmt::format("{} {}", quote_name(c.name), c.order == "desc" ? "DESC" : "ASC"));
    }
    with.push_back(fmt::format("CLUSTERING ORDER BY ({})", fmt::join(order, ", ")));
  }
  auto table = SLUICE_TRY(query(
      s, "SELECT * FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?", {ks, t}));
  static constexpr std::array<std::string_view, 15> options{"additional_write_policy",
                                                            "bloom_filter_fp_chance",
                                                            "caching",
                                                            "cdc",
                                                            "comment",
                                                            "compaction",
                                                            "compression",
                                                            "crc_check_chance",
                                                            "default_time_to_live",
                                                            "gc_grace_seconds",
                                                            "max_index_interval",
                                                            "memtable_flush_period_in_ms",
                                                            "min_index_interval",
                                                            "read_repair",
                                                            "speculative_retry"};
  if (table.size() > 0) {
    for (std::string_view name : options) {
      const auto* c = table.get(0, name);
      if (!c || !*c) continue;
      with.push_back(fmt::format("{} = {}", name, format_option(*table.type(name), **c)));
    }
  }
  for (size_t i = 0; i < with.size(); ++i) out += (i == 0 ? " WITH " : "\n    AND ") + with[i];
  return out + ";\n";
}

result<std::vector<std::string>> keyspace_names(cql::session& s) {
  auto rows = SLUICE_TRY(query(s, "SELECT keyspace_name FROM system_schema.keyspaces", {}));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.text(i, "keyspace_name"));
  std::ranges::sort(out);
  return out;
}

result<std::vector<std::string>> table_names(cql::session& s, const std::string& ks) {
  auto rows = SLUICE_TRY(
      query(s, "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", {ks}));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.text(i, "table_name"));
  std::ranges::sort(out);
  return out;
}

// [ks.]name into its keyspace and name.
std::pair<std::string, std::string> qualified(std::string_view s, const std::string& current) {
  // A dot outside double quotes separates the keyspace.
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (s[i] == '.' && !quoted) return {unquote(s.substr(0, i)), unquote(s.substr(i + 1))};
  }
  return {current, unquote(s)};
}

}  // namespace

std::string quote_name(std::string_view name) {
  const bool bare = !name.empty() && std::islower(static_cast<unsigned char>(name[0])) &&
                    std::ranges::all_of(name,
                                        [](char c) {
                                          return std::islower(static_cast<unsigned char>(c)) ||
                                                 std::isdigit(static_cast<unsigned char>(c)) ||
                                                 c == '_';
                                        }) &&
                    !keyword(name);
  if (bare) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

result<std::string> describe(cql::session& s, std::string_view command,
                             const std::string& current) {
  const auto w = words(command);
  if (w.size() < 2) {
    return usage("DESCRIBE what? KEYSPACES, TABLES, KEYSPACE [name] or TABLE [keyspace.]name");
  }
  const std::string what = lower(w[1]);
  if (what == "keyspaces" && w.size() == 2) {
    auto names = SLUICE_TRY(keyspace_names(s));
    return fmt::format("{}\n", fmt::join(names, "  "));
  }
  if (what == "tables" && w.size() == 2) {
    std::string out;
    const std::vector<std::string> spaces =
        current.empty() ? SLUICE_TRY(keyspace_names(s)) : std::vector<std::string>{current};
    for (const auto& ks : spaces) {
      auto tables = SLUICE_TRY(table_names(s, ks));
      if (current.empty())
        out += fmt::format("Keyspace {}\n{}\n", ks, std::string(9 + ks.size(), '-'));
      out += fmt::format("{}\n", fmt::join(tables, "  "));
      if (current.empty()) out += "\n";
    }
    return out;
  }
  if (what == "keyspace" ||
      (what != "table" && w.size() == 2 && w[1].find('.') == std::string::npos)) {
    const std::string ks =
        what == "keyspace" ? (w.size() >= 3 ? unquote(w[2]) : current) : unquote(w[1]);
    if (ks.empty()) return usage("No keyspace specified and no current keyspace");
    auto names = SLUICE_TRY(keyspace_names(s));
    if (std::ranges::find(names, ks) == names.end()) {
      if (what == "keyspace") return usage(fmt::format("Keyspace '{}' not found.", ks));
      // DESCRIBE name: a table of the current keyspace.
      if (current.empty()) return usage(fmt::format("'{}' not found in keyspaces", ks));
      return create_table(s, current, ks);
    }
    std::string out = SLUICE_TRY(create_keyspace(s, ks));
    for (const auto& t : SLUICE_TRY(table_names(s, ks)))
      out += "\n" + SLUICE_TRY(create_table(s, ks, t));
    return out;
  }
  const std::string target = what == "table" ? (w.size() >= 3 ? w[2] : "") : w[1];
  if (target.empty()) return usage("DESCRIBE TABLE needs a table name");
  auto [ks, t] = qualified(target, current);
  if (ks.empty()) return usage("No keyspace specified and no current keyspace");
  return create_table(s, ks, t);
}

}  // namespace sluice::shell
