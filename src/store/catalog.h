// The store's catalog: keyspaces and tables, persisted in the key-value store under table id 0
// (row keys of user tables start with their own id, from 1), loaded at open. Every change is one
// atomic batch. The version counts changes, so that system.local's schema_version can move.
// Thread-safety: none; the store serializes DDL.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "parser/ast.h"
#include "store/kv.h"
#include "store/schema.h"

namespace sluice::store {

class catalog {
 public:
  static result<catalog> open(kv_store& kv);

  // false: it existed and IF NOT EXISTS was given.
  result<bool> create_keyspace(const parser::create_keyspace& ddl);
  // The dropped keyspace's tables (their rows are deleted in the same batch); nullopt: it did not
  // exist and IF EXISTS was given.
  result<std::optional<std::vector<table_schema>>> drop_keyspace(std::string_view name,
                                                                 bool if_exists);
  // Assigns the table its id and UUID. false: it existed and IF NOT EXISTS was given.
  result<bool> create_table(table_schema t, bool if_not_exists);
  result<std::optional<table_schema>> drop_table(std::string_view keyspace, std::string_view name,
                                                 bool if_exists);
  result<const table_schema*> add_columns(std::string_view keyspace, std::string_view name,
                                          std::vector<column> columns);

  [[nodiscard]] const keyspace_schema* keyspace(std::string_view name) const;
  [[nodiscard]] const table_schema* table(std::string_view keyspace, std::string_view name) const;
  [[nodiscard]] std::vector<const keyspace_schema*> keyspaces() const;
  [[nodiscard]] std::vector<const table_schema*> tables(std::string_view keyspace) const;
  [[nodiscard]] uint64_t version() const { return version_; }

  // Keyspaces the store itself provides (system, system_schema, ...): not user-modifiable.
  static bool is_system_keyspace(std::string_view name);

 private:
  explicit catalog(kv_store& kv) : kv_(&kv) {}
  result<void> save_table(const table_schema& t, std::vector<kv_change>& batch) const;

  kv_store* kv_;
  std::map<std::string, keyspace_schema, std::less<>> keyspaces_;
  std::map<std::string, table_schema, std::less<>> tables_;  // by table_key(keyspace, name)
  uint32_t next_table_id_ = 1;
  uint64_t version_ = 0;
};

}  // namespace sluice::store
