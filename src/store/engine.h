// The table store's engine: CQL statements executed against the catalog and rows in the
// key-value store. Statements are prepared once (parsed, their table resolved, their bind
// markers typed) and executed many times with bound values.
//
// Writes are blind: execute() turns an INSERT, UPDATE, DELETE or BATCH into key-value changes
// (record merges, docs/store-format.md) and returns them for the caller to commit, so that a
// server can commit many requests' changes in one synced write (group commit); reads see what
// has been committed. DDL is applied by execute() itself. Conditional writes (IF [NOT] EXISTS)
// read before they write: the caller runs them only when no earlier write is still uncommitted.
//
// Thread-safety: none; one thread executes, and commit() may run on another.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cql/messages.h"
#include "parser/ast.h"
#include "store/catalog.h"
#include "store/kv.h"
#include "store/system_tables.h"

namespace sluice::store {

struct engine_options {
  std::filesystem::path dir;
  bool sync = true;  // each commit's WAL write fsynced before it is acknowledged
  node_info node;
  size_t block_cache_bytes = 32 << 20;
  size_t write_buffer_bytes = 16 << 20;
  config::codec compression = config::codec::none;
  // The time writes are stamped with (microseconds) and TTLs measured against; tests inject it.
  std::function<int64_t()> clock_us;
};

struct prepared_statement {
  parser::statement stmt;
  std::string keyspace;  // the session's keyspace when it was prepared
  std::vector<cql::column_spec> bound;
  std::vector<uint16_t> partition_key_indexes;
  std::vector<cql::column_spec> result_columns;  // what a SELECT returns
  bool conditional = false;                      // IF [NOT] EXISTS
  bool writes = false;                           // INSERT, UPDATE, DELETE or BATCH
};

struct session {
  std::string keyspace;  // USE
};

struct execution {
  int32_t page_size = -1;  // <= 0: every row at once
  std::optional<bytes_view> paging_state;
  std::optional<int64_t> timestamp;  // the client's default write timestamp
  bool skip_metadata = false;
};

struct outcome {
  cql::result_response response;
  std::vector<kv_change> changes;                  // to commit before answering
  std::optional<cql::schema_change> schema_event;  // to announce to REGISTERed connections
};

// An error the server maps to a CQL error code: errc::invalid is InvalidRequest, a parser error
// SyntaxError, errc::already_exists AlreadyExists, errc::storage a server error.
class engine {
 public:
  static result<std::unique_ptr<engine>> open(engine_options options);
  ~engine();

  result<std::shared_ptr<const prepared_statement>> prepare(std::string_view query,
                                                            const session& s);
  // `values` by bind marker index (named values already placed by the caller).
  result<outcome> execute(const prepared_statement& p, session& s,
                          std::span<const cql::wire::value> values, const execution& how);
  // One BATCH: every statement's changes in one outcome, applied atomically.
  result<outcome> execute_batch(
      std::span<const std::pair<const prepared_statement*, std::span<const cql::wire::value>>>
          statements,
      session& s, const execution& how);

  // Writes changes (from any thread, one at a time).
  result<void> commit(std::span<const kv_change> changes);
  // Convenience for tools and tests: prepare, execute, commit.
  result<cql::result_response> run(std::string_view query, session& s,
                                   std::span<const cql::wire::value> values = {});

  [[nodiscard]] const catalog& schema() const;
  [[nodiscard]] const node_info& node() const;

  struct impl;

 private:
  explicit engine(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::store
