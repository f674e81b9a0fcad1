// The SQLite backend: one sqlite3 handle per connection, $n placeholders rewritten to ?n, and a
// small cache of prepared statements because the scheduler runs the same few in a loop.
#include <fmt/format.h>
#include <sqlite3.h>

#include <cctype>
#include <filesystem>
#include <list>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "metadb/backends.h"

namespace sluice::metadb::detail {
namespace {

constexpr size_t statement_cache_capacity = 64;
constexpr int busy_timeout_ms = 10'000;

// Copies sql[i..] through the `close` that ends the `opener`-character token starting at i (or to
// the end) and returns the position after it.
size_t copy_through(std::string_view sql, size_t i, size_t opener, std::string_view close,
                    std::string& out) {
  size_t end = sql.find(close, i + opener);
  end = end == std::string_view::npos ? sql.size() : end + close.size();
  out.append(sql.substr(i, end - i));
  return end;
}

// $N outside string literals, quoted identifiers and comments becomes ?N, which SQLite numbers
// the same way, so "$1" inside '...' stays text. A doubled quote ('it''s') closes and reopens.
std::string translate_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (size_t i = 0; i < sql.size();) {
    char ch = sql[i];
    std::string_view rest = sql.substr(i);
    if (ch == '\'' || ch == '"' || ch == '`') {
      i = copy_through(sql, i, 1, rest.substr(0, 1), out);
    } else if (ch == '[') {
      i = copy_through(sql, i, 1, "]", out);
    } else if (rest.starts_with("--")) {
      i = copy_through(sql, i, 2, "\n", out);
    } else if (rest.starts_with("/*")) {
      i = copy_through(sql, i, 2, "*/", out);
    } else if (ch == '$' && i + 1 < sql.size() &&
               std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out += '?';
      ++i;
    } else {
      out += ch;
      ++i;
    }
  }
  return out;
}

errc classify(int extended_code) {
  if (extended_code == SQLITE_CONSTRAINT_UNIQUE || extended_code == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return errc::conflict;
  }
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return errc::busy;
    case SQLITE_CANTOPEN: return errc::unreachable;
    default: return errc::query_failed;
  }
}

// The last error on `db`, classified, with what was being done and SQLite's own message.
error last_error(sqlite3* db, std::string_view what) {
  errc code = classify(sqlite3_extended_errcode(db));
  std::string_view hint;
  switch (code) {
    case errc::conflict: hint = "the key already exists: "; break;
    case errc::busy: hint = "another connection holds the lock, retry: "; break;
    case errc::unreachable: hint = "cannot open the database file: "; break;
    default: break;
  }
  return make_error(code, fmt::format("{}: {}{}", what, hint, sqlite3_errmsg(db))).error();
}

std::string running(std::string_view sql) {
  return fmt::format("running \"{}\"", statement_excerpt(sql));
}

// Prepared statements by translated SQL, least recently used evicted first.
class statement_cache {
 public:
  ~statement_cache() { clear(); }
  sqlite3_stmt* find(std::string_view sql) {
    auto it = index_.find(sql);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  void insert(std::string sql, sqlite3_stmt* stmt) {
    if (lru_.size() >= statement_cache_capacity) {
      index_.erase(lru_.back().first);
      sqlite3_finalize(lru_.back().second);
      lru_.pop_back();
    }
    lru_.emplace_front(std::move(sql), stmt);
    index_.emplace(lru_.front().first, lru_.begin());  // the key views the list node's string
  }
  void clear() {
    for (auto& [sql, stmt] : lru_) sqlite3_finalize(stmt);
    index_.clear();
    lru_.clear();
  }

 private:
  using entry = std::pair<std::string, sqlite3_stmt*>;
  std::list<entry> lru_;
  std::unordered_map<std::string_view, std::list<entry>::iterator> index_;
};

// Resets a cached statement after use, so it holds no read lock and no borrowed parameters.
struct statement_reset {
  sqlite3_stmt* stmt;
  ~statement_reset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

value column_value(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT: return fmt::format("{}", sqlite3_column_double(stmt, i));
    case SQLITE_NULL: return std::monostate{};
    default: {  // TEXT or BLOB: the pointer first, then its length (the documented order)
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      return std::string(data == nullptr ? "" : data, sqlite3_column_bytes(stmt, i));
    }
  }
}

class sqlite_connection final : public connection {
 public:
  sqlite_connection(sqlite3* db, std::string target) : db_(db), target_(std::move(target)) {}
  ~sqlite_connection() override {
    cache_.clear();  // statements must be finalized before the handle closes
    sqlite3_close_v2(db_);
  }

  dialect kind() const override { return dialect::sqlite; }
  std::string describe_target() const override { return target_; }

  result<std::vector<row>> query(std::string_view sql, std::span<const value> params) override {
    sqlite3_stmt* stmt = SLUICE_TRY(prepare(sql));
    if (stmt == nullptr) return std::vector<row>{};  // only blanks or comments
    statement_reset reset{stmt};
    SLUICE_TRY(bind(stmt, sql, params));
    std::vector<row> rows;
    int columns = sqlite3_column_count(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return rows;
      if (rc != SQLITE_ROW) return std::unexpected(last_error(db_, running(sql)));
      row& r = rows.emplace_back();
      r.columns.reserve(columns);
      for (int i = 0; i < columns; ++i) r.columns.push_back(column_value(stmt, i));
    }
  }

  result<void> script(std::string_view sql) override {
    if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return std::unexpected(last_error(db_, running(sql)));
    }
    return {};
  }

  result<void> begin() override { return script("BEGIN IMMEDIATE"); }

  result<void> commit() override {
    auto committed = script("COMMIT");
    if (!committed) rollback();  // the caller's transaction object no longer will
    return committed;
  }

  // SQLite knows whether a transaction is open (it may have rolled one back by itself).
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  // The cached statement for `sql`, prepared on first use; nullptr for an empty statement.
  result<sqlite3_stmt*> prepare(std::string_view sql) {
    std::string translated = translate_placeholders(sql);
    if (sqlite3_stmt* cached = cache_.find(translated)) return cached;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, translated.data(), static_cast<int>(translated.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return std::unexpected(last_error(db_, running(sql)));
    if (stmt == nullptr) return nullptr;
    std::string_view rest(tail, translated.data() + translated.size() - tail);
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      sqlite3_finalize(stmt);
      return make_error(
          errc::query_failed,
          fmt::format("{}: query() runs one statement; use script() for several", running(sql)));
    }
    cache_.insert(std::move(translated), stmt);
    return stmt;
  }

  result<void> bind(sqlite3_stmt* stmt, std::string_view sql, std::span<const value> params) {
    int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<size_t>(expected) != params.size()) {
      return make_error(
          errc::query_failed,
          fmt::format("{}: the statement has {} placeholders but {} values were given",
                      running(sql), expected, params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int at = static_cast<int>(i) + 1;
      const value& v = params[i];
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, at, *n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        // Static: the parameters outlive the statement's use, and the bindings are cleared after.
        rc = sqlite3_bind_text64(stmt, at, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, at);
      }
      if (rc != SQLITE_OK) return std::unexpected(last_error(db_, running(sql)));
    }
    return {};
  }

  sqlite3* db_;
  std::string target_;
  statement_cache cache_;
};

struct sqlite_options {
  bool synchronous_full = false;
};

result<sqlite_options> parse_options(std::string_view query, std::string_view url) {
  sqlite_options options;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item == "synchronous=full" || item == "synchronous=FULL") {
      options.synchronous_full = true;
    } else if (item != "synchronous=normal" && item != "synchronous=NORMAL") {
      return make_error(errc::bad_url,
                        fmt::format("the metadata database URL \"{}\" has the unknown option "
                                    "\"{}\"; sqlite:// knows synchronous=full|normal",
                                    url, item));
    }
  }
  return options;
}

}  // namespace

result<std::unique_ptr<connection>> open_sqlite(std::string_view location) {
  std::string url = fmt::format("sqlite://{}", location);
  size_t question = location.find('?');
  std::string path(location.substr(0, question));
  auto options = SLUICE_TRY(
      parse_options(question == std::string_view::npos ? "" : location.substr(question + 1), url));
  if (path.empty()) {
    return make_error(errc::bad_url, fmt::format("the metadata database URL \"{}\" has no path; "
                                                 "write sqlite://data/meta.db or sqlite:///abs.db",
                                                 url));
  }
  auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return make_error(errc::unreachable,
                      fmt::format("cannot create the directory {} for the metadata database: {}",
                                  parent.string(), ec.message()));
  }
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr); rc != SQLITE_OK) {
    std::string message = db == nullptr ? sqlite3_errstr(rc) : sqlite3_errmsg(db);
    sqlite3_close_v2(db);
    return make_error(errc::unreachable,
                      fmt::format("cannot open the metadata database {}: {}", path, message));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  auto c = std::make_unique<sqlite_connection>(db, std::move(url));
  // WAL with synchronous=NORMAL survives a process crash; FULL also survives power loss.
  auto setup =
      c->script(fmt::format("PRAGMA journal_mode=WAL; PRAGMA synchronous={}; "
                            "PRAGMA foreign_keys=ON",
                            options.synchronous_full ? "FULL" : "NORMAL"));
  if (!setup) {
    return make_error(errc::unreachable, fmt::format("cannot use {} as the metadata database: {}",
                                                     path, setup.error().message));
  }
  return c;
}

}  // namespace sluice::metadb::detail
