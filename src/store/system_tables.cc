#include "store/system_tables.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "base/bytes.h"
#include "cql/murmur3.h"
#include "store/keys.h"

namespace sluice::store {
namespace {

// ---- Values, in the native protocol's serialization of their column's type.

cell text(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

cell int32(int32_t v) {
  byte_writer w(4);
  w.write_i32(v);
  return std::move(w).take();
}

cell boolean(bool v) { return std::vector<uint8_t>{static_cast<uint8_t>(v ? 1 : 0)}; }

cell float64(double v) {
  byte_writer w(8);
  w.write_f64(v);
  return std::move(w).take();
}

cell uuid(const std::array<uint8_t, 16>& v) { return std::vector<uint8_t>(v.begin(), v.end()); }

// An IPv4 or IPv6 address; null when `address` is neither (a host name).
cell inet(const std::string& address) {
  std::vector<uint8_t> out(4);
  if (inet_pton(AF_INET, address.c_str(), out.data()) == 1) return out;
  out.resize(16);
  if (inet_pton(AF_INET6, address.c_str(), out.data()) == 1) return out;
  return std::nullopt;
}

void element(byte_writer& w, std::string_view s) {
  w.write_i32(static_cast<int32_t>(s.size()));
  w.write_bytes(s);
}

// set<text>, sorted and deduplicated as Cassandra keeps sets (UTF-8 sorts bytewise).
cell text_set(std::vector<std::string> elements) {
  std::ranges::sort(elements);
  const auto [first, last] = std::ranges::unique(elements);
  elements.erase(first, last);
  byte_writer w;
  w.write_i32(static_cast<int32_t>(elements.size()));
  for (const auto& e : elements) element(w, e);
  return std::move(w).take();
}

// map<text, text>; std::map's order is the keys' bytewise order, as Cassandra sorts text keys.
cell text_map(const std::map<std::string, std::string>& entries) {
  byte_writer w;
  w.write_i32(static_cast<int32_t>(entries.size()));
  for (const auto& [k, v] : entries) {
    element(w, k);
    element(w, v);
  }
  return std::move(w).take();
}

// An empty collection (a frozen one is a value, not null: cqlsh shows `{}`).
cell empty_collection() { return int32(0); }

// ---- UUIDs.

uint64_t mix(uint64_t x) {  // splitmix64's finalizer: a bijection that spreads every bit
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A version-4-shaped UUID determined by `seed`.
std::array<uint8_t, 16> uuid_from(uint64_t seed) {
  const uint64_t halves[2] = {mix(seed), mix(mix(seed) ^ 0x736C75696365ULL)};
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 16; ++i) {
    out[i] = static_cast<uint8_t>(halves[i / 8] >> (8 * (7 - i % 8)));
  }
  out[6] = static_cast<uint8_t>((out[6] & 0x0F) | 0x40);
  out[8] = static_cast<uint8_t>((out[8] & 0x3F) | 0x80);
  return out;
}

// ---- Cassandra 4.1's values for a single node.

constexpr std::string_view cql_version = "3.4.5";
constexpr std::string_view native_protocol_version = "4";
constexpr std::string_view partitioner = "org.apache.cassandra.dht.Murmur3Partitioner";
constexpr std::string_view data_center = "datacenter1";
constexpr std::string_view rack = "rack1";
constexpr std::string_view token = "0";  // one token: the node owns the whole ring
constexpr int32_t storage_port = 7000;   // Cassandra's default, reported as the gossip port
constexpr std::string_view strategy_package = "org.apache.cassandra.locator.";

// The table options system_schema.tables and views show: Cassandra 4.1's defaults, except
// what a system keyspace sets for its tables.
struct table_params {
  std::string_view comment;
  int32_t gc_grace_seconds = 864000;
  int32_t memtable_flush_period_in_ms = 0;
};

table_params params_for(std::string_view keyspace, std::string_view comment) {
  if (keyspace == "system") return {comment, 0, 3'600'000};
  if (keyspace == "system_schema") return {comment, 604'800, 3'600'000};
  return {comment};
}

// ---- Tables defined here.

// Cells by column name, into a row in the table's column order.
class row_builder {
 public:
  explicit row_builder(const table_schema& t) : table_(&t), row_(t.columns.size()) {}
  row_builder& set(std::string_view column, cell value) {
    for (size_t i = 0; i < table_->columns.size(); ++i) {
      if (table_->columns[i].name == column) {
        row_[i] = std::move(value);
        return *this;
      }
    }
    std::abort();  // a column this file does not define: a bug here
  }
  row take() && { return std::move(row_); }

 private:
  const table_schema* table_;
  row row_;
};

struct column_def {
  std::string_view name;
  std::string_view type;  // as system_schema.columns shows it (frozen<...> included)
};

using fill_function = std::vector<row> (*)(const table_schema&, const catalog&, const node_info&);

class defined_table final : public system_table {
 public:
  // The first `partition` columns are the partition key, the next `clustering` the clustering
  // columns; the rest are regular, in the order Cassandra's SELECT * gives (by name).
  defined_table(std::string_view keyspace, std::string_view name, std::string_view comment,
                size_t partition, size_t clustering, std::initializer_list<column_def> columns,
                fill_function fill)
      : comment_(comment), fill_(fill) {
    schema_.keyspace = keyspace;
    schema_.name = name;
    std::string full(keyspace);
    full.push_back('.');
    full.append(name);
    schema_.uuid = uuid_from(static_cast<uint64_t>(cql::murmur3_token(as_bytes_view(full))));
    size_t i = 0;
    for (const column_def& d : columns) {
      column c;
      c.name = d.name;
      c.type = cql::data_type::parse(d.type).value();
      if (i < partition) {
        c.kind = column_kind::partition_key;
        c.position = static_cast<int>(i);
      } else if (i < partition + clustering) {
        c.kind = column_kind::clustering;
        c.position = static_cast<int>(i - partition);
      }
      schema_.columns.push_back(std::move(c));
      type_names_.emplace_back(d.type);
      ++i;
    }
  }

  [[nodiscard]] const table_schema& schema() const override { return schema_; }
  [[nodiscard]] std::vector<row> rows(const catalog& c, const node_info& node) const override;
  [[nodiscard]] std::string_view comment() const { return comment_; }
  [[nodiscard]] const std::vector<std::string>& type_names() const { return type_names_; }

 private:
  table_schema schema_;
  std::string_view comment_;
  std::vector<std::string> type_names_;
  fill_function fill_;
};

// The key the store would give the row, so that sorting by it orders rows as the store does
// (by token, then partition key, then clustering key).
std::string sort_key(const table_schema& t, const row& r) {
  auto values = [&](const std::vector<const column*>& key) {
    std::vector<bytes_view> out;
    for (const column* c : key) {
      const cell& v = r[static_cast<size_t>(c - t.columns.data())];
      out.push_back(v ? bytes_view(*v) : bytes_view());
    }
    return out;
  };
  std::string key = partition_prefix(t, values(t.partition_key())).value_or(std::string());
  key.push_back(row_tag);
  key += clustering_prefix(t, values(t.clustering())).value_or(std::string());
  return key;
}

std::vector<row> defined_table::rows(const catalog& c, const node_info& node) const {
  std::vector<row> out = fill_(schema_, c, node);
  std::vector<std::pair<std::string, row>> keyed;
  keyed.reserve(out.size());
  for (row& r : out) {
    std::string k = sort_key(schema_, r);
    keyed.emplace_back(std::move(k), std::move(r));
  }
  std::ranges::sort(keyed, {}, &std::pair<std::string, row>::first);
  out.clear();
  for (auto& [k, r] : keyed) out.push_back(std::move(r));
  return out;
}

const std::vector<defined_table>& registry();

std::vector<row> no_rows(const table_schema&, const catalog&, const node_info&) { return {}; }

std::vector<row> local_rows(const table_schema& t, const catalog& c, const node_info& node) {
  row_builder r(t);
  r.set("key", text("local"))
      .set("bootstrapped", text("COMPLETED"))
      .set("broadcast_address", inet(node.address))
      .set("broadcast_port", int32(storage_port))
      .set("cluster_name", text(node.cluster_name))
      .set("cql_version", text(cql_version))
      .set("data_center", text(data_center))
      .set("host_id", uuid(node.host_id))
      .set("listen_address", inet(node.address))
      .set("listen_port", int32(storage_port))
      .set("native_protocol_version", text(native_protocol_version))
      .set("partitioner", text(partitioner))
      .set("rack", text(rack))
      .set("release_version", text(release_version))
      .set("rpc_address", inet(node.address))
      .set("rpc_port", int32(node.port))
      .set("schema_version", uuid(schema_version(c.version())))
      .set("tokens", text_set({std::string(token)}));
  std::vector<row> out;
  out.push_back(std::move(r).take());
  return out;
}

struct keyspace_entry {
  std::string name;
  std::map<std::string, std::string> replication;
  bool durable_writes = true;
};

// The system keyspaces served here, then the catalog's; replication classes in full, as
// Cassandra expands a short name.
std::vector<keyspace_entry> all_keyspaces(const catalog& c) {
  const std::map<std::string, std::string> local{
      {"class", std::string(strategy_package) + "LocalStrategy"}};
  std::vector<keyspace_entry> out{{"system", local, true}, {"system_schema", local, true}};
  for (const keyspace_schema* k : c.keyspaces()) {
    keyspace_entry e{k->name, {}, k->durable_writes};
    for (const auto& [key, value] : k->replication) {
      e.replication[key] = key == "class" && value.find('.') == std::string::npos
                               ? std::string(strategy_package) + value
                               : value;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<row> keyspace_rows(const table_schema& t, const catalog& c, const node_info&) {
  std::vector<row> out;
  for (const keyspace_entry& k : all_keyspaces(c)) {
    row_builder r(t);
    r.set("keyspace_name", text(k.name))
        .set("durable_writes", boolean(k.durable_writes))
        .set("replication", text_map(k.replication));
    out.push_back(std::move(r).take());
  }
  return out;
}

struct table_entry {
  const table_schema* schema;
  table_params params;
  const std::vector<std::string>* type_names;  // nullptr: data_type::name()
};

std::vector<table_entry> all_tables(const catalog& c) {
  std::vector<table_entry> out;
  for (const defined_table& t : registry()) {
    out.push_back({&t.schema(), params_for(t.schema().keyspace, t.comment()), &t.type_names()});
  }
  for (const keyspace_schema* k : c.keyspaces()) {
    for (const table_schema* t : c.tables(k->name)) {
      out.push_back({t, params_for(t->keyspace, ""), nullptr});
    }
  }
  return out;
}

// A table's compression as Cassandra describes it: the compressor's class, or disabled.
cell compression_params(config::codec c) {
  const char* compressor = nullptr;
  switch (c) {
    case config::codec::none: return text_map({{"enabled", "false"}});
    case config::codec::gzip: compressor = "DeflateCompressor"; break;
    case config::codec::snappy: compressor = "SnappyCompressor"; break;
    case config::codec::lz4: compressor = "LZ4Compressor"; break;
    case config::codec::zstd: compressor = "ZstdCompressor"; break;
  }
  return text_map({{"chunk_length_in_kb", "16"},
                   {"class", std::string("org.apache.cassandra.io.compress.") + compressor}});
}

std::vector<row> table_rows(const table_schema& t, const catalog& c, const node_info& node) {
  std::vector<row> out;
  for (const table_entry& e : all_tables(c)) {
    row_builder r(t);
    r.set("keyspace_name", text(e.schema->keyspace))
        .set("table_name", text(e.schema->name))
        .set("additional_write_policy", text("99p"))
        .set("bloom_filter_fp_chance", float64(0.01))
        .set("caching", text_map({{"keys", "ALL"}, {"rows_per_partition", "NONE"}}))
        .set("cdc", boolean(false))
        .set("comment", text(e.params.comment))
        .set("compaction",
             text_map({{"class", "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"},
                       {"max_threshold", "32"},
                       {"min_threshold", "4"}}))
        .set("compression", compression_params(node.compression))
        .set("crc_check_chance", float64(1.0))
        .set("dclocal_read_repair_chance", float64(0.0))
        .set("default_time_to_live", int32(0))
        .set("extensions", empty_collection())
        .set("gc_grace_seconds", int32(e.params.gc_grace_seconds))
        .set("id", uuid(e.schema->uuid))
        .set("max_index_interval", int32(2048))
        .set("memtable", text("default"))
        .set("memtable_flush_period_in_ms", int32(e.params.memtable_flush_period_in_ms))
        .set("min_index_interval", int32(128))
        .set("read_repair", text("BLOCKING"))
        .set("read_repair_chance", float64(0.0))
        .set("flags", text_set({"compound"}))
        .set("speculative_retry", text("99p"));
    out.push_back(std::move(r).take());
  }
  return out;
}

std::vector<row> column_rows(const table_schema& t, const catalog& c, const node_info&) {
  std::vector<row> out;
  for (const table_entry& e : all_tables(c)) {
    for (size_t i = 0; i < e.schema->columns.size(); ++i) {
      const column& col = e.schema->columns[i];
      const bool key =
          col.kind == column_kind::partition_key || col.kind == column_kind::clustering;
      std::string_view order = "none";
      if (col.kind == column_kind::clustering) order = col.descending ? "desc" : "asc";
      row_builder r(t);
      r.set("keyspace_name", text(e.schema->keyspace))
          .set("table_name", text(e.schema->name))
          .set("column_name", text(col.name))
          .set("clustering_order", text(order))
          .set("column_name_bytes", text(col.name))
          .set("kind", text(kind_name(col.kind)))
          .set("position", int32(key ? col.position : -1))
          .set("type", text(e.type_names ? (*e.type_names)[i] : col.type.name()));
      out.push_back(std::move(r).take());
    }
  }
  return out;
}

// Cassandra 4.1's definitions: columns in SELECT * order (partition key, clustering columns,
// then the rest by name), with the types its DESCRIBE shows.
const std::vector<defined_table>& registry() {
  static const std::vector<defined_table> tables = {
      {"system",
       "local",
       "information about the local node",
       1,
       0,
       {{"key", "text"},
        {"bootstrapped", "text"},
        {"broadcast_address", "inet"},
        {"broadcast_port", "int"},
        {"cluster_name", "text"},
        {"cql_version", "text"},
        {"data_center", "text"},
        {"gossip_generation", "int"},
        {"host_id", "uuid"},
        {"listen_address", "inet"},
        {"listen_port", "int"},
        {"native_protocol_version", "text"},
        {"partitioner", "text"},
        {"rack", "text"},
        {"release_version", "text"},
        {"rpc_address", "inet"},
        {"rpc_port", "int"},
        {"schema_version", "uuid"},
        {"tokens", "set<text>"},
        {"truncated_at", "map<uuid, blob>"}},
       local_rows},
      {"system",
       "peers",
       "information about known peers in the cluster",
       1,
       0,
       {{"peer", "inet"},
        {"data_center", "text"},
        {"host_id", "uuid"},
        {"preferred_ip", "inet"},
        {"rack", "text"},
        {"release_version", "text"},
        {"rpc_address", "inet"},
        {"schema_version", "uuid"},
        {"tokens", "set<text>"}},
       no_rows},
      {"system",
       "peers_v2",
       "information about known peers in the cluster",
       1,
       1,
       {{"peer", "inet"},
        {"peer_port", "int"},
        {"data_center", "text"},
        {"host_id", "uuid"},
        {"native_address", "inet"},
        {"native_port", "int"},
        {"preferred_ip", "inet"},
        {"preferred_port", "int"},
        {"rack", "text"},
        {"release_version", "text"},
        {"schema_version", "uuid"},
        {"tokens", "set<text>"}},
       no_rows},
      {"system_schema",
       "keyspaces",
       "keyspace definitions",
       1,
       0,
       {{"keyspace_name", "text"},
        {"durable_writes", "boolean"},
        {"replication", "frozen<map<text, text>>"}},
       keyspace_rows},
      {"system_schema",
       "tables",
       "table definitions",
       1,
       1,
       {{"keyspace_name", "text"},
        {"table_name", "text"},
        {"additional_write_policy", "text"},
        {"bloom_filter_fp_chance", "double"},
        {"caching", "frozen<map<text, text>>"},
        {"cdc", "boolean"},
        {"comment", "text"},
        {"compaction", "frozen<map<text, text>>"},
        {"compression", "frozen<map<text, text>>"},
        {"crc_check_chance", "double"},
        {"dclocal_read_repair_chance", "double"},
        {"default_time_to_live", "int"},
        {"extensions", "frozen<map<text, blob>>"},
        {"flags", "frozen<set<text>>"},
        {"gc_grace_seconds", "int"},
        {"id", "uuid"},
        {"max_index_interval", "int"},
        {"memtable", "text"},
        {"memtable_flush_period_in_ms", "int"},
        {"min_index_interval", "int"},
        {"read_repair", "text"},
        {"read_repair_chance", "double"},
        {"speculative_retry", "text"}},
       table_rows},
      {"system_schema",
       "columns",
       "column definitions",
       1,
       2,
       {{"keyspace_name", "text"},
        {"table_name", "text"},
        {"column_name", "text"},
        {"clustering_order", "text"},
        {"column_name_bytes", "blob"},
        {"kind", "text"},
        {"position", "int"},
        {"type", "text"}},
       column_rows},
      {"system_schema",
       "dropped_columns",
       "dropped column registry",
       1,
       2,
       {{"keyspace_name", "text"},
        {"table_name", "text"},
        {"column_name", "text"},
        {"dropped_time", "timestamp"},
        {"kind", "text"},
        {"type", "text"}},
       no_rows},
      {"system_schema",
       "triggers",
       "trigger definitions",
       1,
       2,
       {{"keyspace_name", "text"},
        {"table_name", "text"},
        {"trigger_name", "text"},
        {"options", "frozen<map<text, text>>"}},
       no_rows},
      {"system_schema",
       "views",
       "view definitions",
       1,
       1,
       {{"keyspace_name", "text"},
        {"view_name", "text"},
        {"additional_write_policy", "text"},
        {"base_table_id", "uuid"},
        {"base_table_name", "text"},
        {"bloom_filter_fp_chance", "double"},
        {"caching", "frozen<map<text, text>>"},
        {"cdc", "boolean"},
        {"comment", "text"},
        {"compaction", "frozen<map<text, text>>"},
        {"compression", "frozen<map<text, text>>"},
        {"crc_check_chance", "double"},
        {"dclocal_read_repair_chance", "double"},
        {"default_time_to_live", "int"},
        {"extensions", "frozen<map<text, blob>>"},
        {"gc_grace_seconds", "int"},
        {"id", "uuid"},
        {"include_all_columns", "boolean"},
        {"max_index_interval", "int"},
        {"memtable", "text"},
        {"memtable_flush_period_in_ms", "int"},
        {"min_index_interval", "int"},
        {"read_repair", "text"},
        {"read_repair_chance", "double"},
        {"speculative_retry", "text"},
        {"where_clause", "text"}},
       no_rows},
      {"system_schema",
       "types",
       "user defined type definitions",
       1,
       1,
       {{"keyspace_name", "text"},
        {"type_name", "text"},
        {"field_names", "frozen<list<text>>"},
        {"field_types", "frozen<list<text>>"}},
       no_rows},
      // argument_types is a clustering column of a collection type, which only frozen
      // collections may be; these tables have no rows, so no key is ever built from it.
      {"system_schema",
       "functions",
       "user defined function definitions",
       1,
       2,
       {{"keyspace_name", "text"},
        {"function_name", "text"},
        {"argument_types", "frozen<list<text>>"},
        {"argument_names", "frozen<list<text>>"},
        {"body", "text"},
        {"called_on_null_input", "boolean"},
        {"language", "text"},
        {"return_type", "text"}},
       no_rows},
      {"system_schema",
       "aggregates",
       "user defined aggregate definitions",
       1,
       2,
       {{"keyspace_name", "text"},
        {"aggregate_name", "text"},
        {"argument_types", "frozen<list<text>>"},
        {"final_func", "text"},
        {"initcond", "text"},
        {"return_type", "text"},
        {"state_func", "text"},
        {"state_type", "text"}},
       no_rows},
      {"system_schema",
       "indexes",
       "secondary index definitions",
       1,
       2,
       {{"keyspace_name", "text"},
        {"table_name", "text"},
        {"index_name", "text"},
        {"kind", "text"},
        {"options", "frozen<map<text, text>>"}},
       no_rows},
  };
  return tables;
}

}  // namespace

const system_table* find_system_table(std::string_view keyspace, std::string_view name) {
  for (const defined_table& t : registry()) {
    if (t.schema().keyspace == keyspace && t.schema().name == name) return &t;
  }
  return nullptr;
}

std::span<const system_table* const> system_tables() {
  static const std::vector<const system_table*> all = [] {
    std::vector<const system_table*> out;
    for (const defined_table& t : registry()) out.push_back(&t);
    return out;
  }();
  return all;
}

std::array<uint8_t, 16> schema_version(uint64_t catalog_version) {
  return uuid_from(catalog_version);
}

}  // namespace sluice::store
