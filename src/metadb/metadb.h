// The metadata database: one narrow seam over SQLite (the embedded default, `sqlite://PATH`) and
// PostgreSQL (`postgresql://user:pass@host:port/db`, libpq), so the scheduler's SQL is written once.
//
// Statements use $1, $2, ... placeholders on both (translated for SQLite). Values are null, 64-bit
// integers or text; booleans are integers 0/1, instants milliseconds since the epoch, JSON text.
// Expected failures are values: a unique-key violation is errc::conflict, a lock or serialization
// failure that a retry may fix is errc::busy, a lost server errc::unreachable.
// Migrations are numbered, applied in order inside a transaction each, and recorded in
// sluice_migrations; opening an older database applies the rest; a database newer than this
// build is refused.
//
// Thread-safety: a connection is used by one thread at a time; open one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"

namespace sluice::metadb {

enum class errc {
  ok = 0,
  bad_url,          // not sqlite://PATH or postgresql://...
  unreachable,      // cannot open the file / connect to the server, or the connection was lost
  conflict,         // a unique or primary key already holds the value
  busy,             // locked, deadlock or serialization failure: retry the transaction
  query_failed,     // any other refusal (syntax, types, constraint): the database's message
  too_new,          // the database has migrations this build does not know
};
std::string_view describe(errc e);
std::string_view category_name(errc);

using value = std::variant<std::monostate, int64_t, std::string>;

// One result row. Accessors never throw: a null or absent column reads as 0 / "".
struct row {
  std::vector<value> columns;
  [[nodiscard]] bool is_null(size_t i) const;
  [[nodiscard]] int64_t integer(size_t i) const;  // text columns are parsed; bad text: 0
  [[nodiscard]] std::string text(size_t i) const;  // integers are formatted
  [[nodiscard]] std::optional<int64_t> optional_integer(size_t i) const;
};

enum class dialect { sqlite, postgresql };

class connection {
 public:
  virtual ~connection() = default;
  [[nodiscard]] virtual dialect kind() const = 0;
  // The URL with any password masked, for logs and banners.
  [[nodiscard]] virtual std::string describe_target() const = 0;

  // One statement with $n parameters. Returns its rows (none for statements without a result).
  virtual result<std::vector<row>> query(std::string_view sql,
                                         std::span<const value> params = {}) = 0;
  // Several ;-separated statements without parameters (schema scripts).
  virtual result<void> script(std::string_view sql) = 0;

  // Transactions. begin() takes the write lock at once on SQLite (BEGIN IMMEDIATE, waiting up to
  // the busy timeout), so a read-then-write transaction cannot fail half-way; on PostgreSQL it is
  // READ COMMITTED (use SELECT ... FOR UPDATE [SKIP LOCKED] for row locks).
  virtual result<void> begin() = 0;
  virtual result<void> commit() = 0;
  virtual void rollback() = 0;  // never fails; a no-op outside a transaction
};

// Opens a connection: "sqlite://relative/or/absolute/path.db" (the directory is created; WAL mode,
// a 10 s busy timeout, foreign keys on) or "postgresql://..." / "postgres://..." (any libpq URI;
// connect timeout 10 s unless given). Errors: bad_url, unreachable (with the driver's message).
result<std::unique_ptr<connection>> open(std::string_view url);

// Rolls back unless committed.
class transaction {
 public:
  explicit transaction(connection& c) : c_(c) {}
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (open_) c_.rollback();
  }
  result<void> begin() {
    auto r = c_.begin();
    open_ = r.has_value();
    return r;
  }
  result<void> commit() {
    open_ = false;
    return c_.commit();
  }

 private:
  connection& c_;
  bool open_ = false;
};

struct migration {
  int version;           // 1, 2, 3, ... in order
  std::string_view sql;  // ;-separated statements, valid on both dialects
  // Dialect-specific replacement, when the portable text cannot be written (empty: use sql).
  std::string_view postgresql_sql = {};
};

// Applies the migrations not yet recorded, each in its own transaction (two processes migrating
// at once: one applies, the other waits and finds it done). Returns the schema version after.
result<int> migrate(connection& c, std::span<const migration> migrations);

}  // namespace sluice::metadb
