// Keyspace and table schemas of the CQL-compatible store, and their construction from parsed
// DDL with Cassandra's rules and messages: one primary key, key columns that exist, no
// collections in the key, static columns only beside clustering columns, a CLUSTERING ORDER that
// names the clustering columns in order. Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "cql/types.h"
#include "parser/ast.h"

namespace sluice::store {

enum class errc {
  ok = 0,
  invalid,         // CQL InvalidRequest (0x2200)
  already_exists,  // CQL AlreadyExists (0x2400)
  storage,         // the data directory could not be read or written
};
std::string_view describe(errc e);
std::string_view category_name(errc);

enum class column_kind : uint8_t { partition_key, clustering, regular, static_ };
std::string_view kind_name(column_kind k);  // as system_schema.columns.kind shows it

struct column {
  std::string name;
  cql::data_type type;
  column_kind kind = column_kind::regular;
  int position = -1;        // within the partition key or the clustering key; -1 otherwise
  bool descending = false;  // clustering columns only
  bool operator==(const column&) const = default;
};

struct keyspace_schema {
  std::string name;
  std::vector<std::pair<std::string, std::string>> replication;
  bool durable_writes = true;
  bool operator==(const keyspace_schema&) const = default;
};

struct table_schema {
  std::string keyspace;
  std::string name;
  uint32_t id = 0;                 // the prefix of its rows' keys; 0 until the catalog assigns it
  std::array<uint8_t, 16> uuid{};  // system_schema.tables.id
  std::vector<column> columns;     // in declaration order
  bool operator==(const table_schema&) const = default;

  [[nodiscard]] const column* find(std::string_view name) const;
  [[nodiscard]] std::vector<const column*> partition_key() const;
  [[nodiscard]] std::vector<const column*> clustering() const;
};

// The schema a CREATE TABLE describes; `current_keyspace` stands in when none is named.
result<table_schema> table_from(const parser::create_table& ddl, std::string_view current_keyspace);
// Columns an ALTER TABLE ... ADD describes, checked against `table`.
result<std::vector<column>> columns_to_add(const table_schema& table,
                                           const parser::alter_table_add& ddl);
// The keyspace of a statement: its own, or the current one, or an error saying to pick one.
result<std::string> resolve_keyspace(std::string_view named, std::string_view current);

}  // namespace sluice::store
