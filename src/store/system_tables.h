// The tables drivers read on connect and for schema metadata, generated from the catalog on
// every query (nothing is stored): system.local, system.peers, system.peers_v2 (empty: one node),
// and system_schema.keyspaces, tables, columns (filled from the catalog, system keyspaces
// included) with types, functions, aggregates, triggers, indexes, views and dropped_columns
// (empty). Values are Cassandra's defaults for a single node: data center `datacenter1`, rack
// `rack1`, a 4.x release version, the Murmur3 partitioner, one token. Thread-safe: rows() reads
// the catalog, which the caller keeps still.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "store/catalog.h"
#include "store/schema.h"

namespace sluice::store {

// A cell as the native protocol carries it (nullopt: null); a row has one per column of its
// table, in the table's column order.
using cell = std::optional<std::vector<uint8_t>>;
using row = std::vector<cell>;

// What system.local says about this node.
struct node_info {
  std::string cluster_name = "sluice";
  std::string address = "127.0.0.1";  // listen, broadcast and rpc address
  int port = 9042;                    // native transport port
  std::array<uint8_t, 16> host_id{};  // stable across restarts (the store keeps it)
  // The store's `store.compression`, which system_schema.tables reports for every table.
  config::codec compression = config::codec::none;
};

// The release version system.local reports (4.x, so that drivers use the v4 protocol and the
// Python driver reads system_virtual_schema, which then fails with InvalidRequest as it expects).
inline constexpr std::string_view release_version = "4.1.3";

class system_table {
 public:
  virtual ~system_table() = default;
  [[nodiscard]] virtual const table_schema& schema() const = 0;
  // Every row, sorted by primary key.
  [[nodiscard]] virtual std::vector<row> rows(const catalog& c, const node_info& node) const = 0;
};

// The system table `keyspace.name`, or nullptr.
const system_table* find_system_table(std::string_view keyspace, std::string_view name);
// All of them, for system_schema's own rows.
std::span<const system_table* const> system_tables();

// schema_version for a catalog version: a UUID that changes when the catalog does.
std::array<uint8_t, 16> schema_version(uint64_t catalog_version);

}  // namespace sluice::store
