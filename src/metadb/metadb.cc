// The dialect-neutral half of metadb: error texts, row accessors, open() and migrate().
#include "metadb/metadb.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>
#include <utility>

#include "metadb/backends.h"

namespace sluice::metadb {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::bad_url: return "bad metadata database URL";
    case errc::unreachable: return "metadata database unreachable";
    case errc::conflict: return "key already exists";
    case errc::busy: return "metadata database busy";
    case errc::query_failed: return "metadata query failed";
    case errc::too_new: return "metadata database too new";
  }
  return "unknown error";
}
std::string_view category_name(errc) { return "metadb"; }

bool row::is_null(size_t i) const {
  return i >= columns.size() || std::holds_alternative<std::monostate>(columns[i]);
}

int64_t row::integer(size_t i) const {
  if (i >= columns.size()) return 0;
  if (const auto* n = std::get_if<int64_t>(&columns[i])) return *n;
  if (const auto* s = std::get_if<std::string>(&columns[i])) {
    int64_t n = 0;
    const char* end = s->data() + s->size();
    auto [ptr, ec] = std::from_chars(s->data(), end, n);
    return ec == std::errc() && ptr == end ? n : 0;
  }
  return 0;
}

std::string row::text(size_t i) const {
  if (i >= columns.size()) return {};
  if (const auto* s = std::get_if<std::string>(&columns[i])) return *s;
  if (const auto* n = std::get_if<int64_t>(&columns[i])) return std::to_string(*n);
  return {};
}

std::optional<int64_t> row::optional_integer(size_t i) const {
  if (is_null(i)) return std::nullopt;
  return integer(i);
}

namespace detail {

std::string mask_password(std::string_view url) {
  std::string out(url);
  // User info: scheme://user:password@host...; the last '@' before the path ends it.
  if (size_t scheme = out.find("://"); scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t end = std::min(out.find_first_of("/?#", start), out.size());
    std::string_view authority = std::string_view(out).substr(start, end - start);
    size_t at = authority.rfind('@');
    size_t colon = authority.find(':');
    if (at != std::string_view::npos && colon < at) {
      out.replace(start + colon + 1, at - colon - 1, "***");
    }
  }
  // Query parameters: ...?password=secret&...
  size_t query = out.find('?');
  for (size_t pos = query; pos != std::string::npos && pos < out.size();) {
    size_t key = pos + 1;
    size_t next = out.find('&', key);
    size_t stop = next == std::string::npos ? out.size() : next;
    if (std::string_view(out).substr(key, stop - key).starts_with("password=")) {
      size_t value = key + 9;
      out.replace(value, stop - value, "***");
      next = out.find('&', value);
    }
    pos = next;
  }
  return out;
}

std::string statement_excerpt(std::string_view sql) {
  constexpr size_t limit = 60;
  std::string out;
  bool space = false;
  for (char ch : sql) {
    bool blank = ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
    if (blank) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
    if (out.size() >= limit) return out + "...";
  }
  return out;
}

}  // namespace detail

result<std::unique_ptr<connection>> open(std::string_view url) {
  constexpr std::string_view sqlite_scheme = "sqlite://";
  if (url.starts_with(sqlite_scheme)) return detail::open_sqlite(url.substr(sqlite_scheme.size()));
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return detail::open_postgresql(url);
  }
  return make_error(errc::bad_url,
                    fmt::format("the metadata database URL \"{}\" is neither sqlite://PATH nor "
                                "postgresql://user:password@host:port/database",
                                detail::mask_password(url)));
}

namespace {

constexpr std::string_view create_migrations_table =
    "CREATE TABLE IF NOT EXISTS sluice_migrations "
    "(version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";

// Any fixed key: every sluice process migrating the same PostgreSQL database takes this one.
constexpr std::string_view take_migration_lock =
    "SELECT pg_advisory_xact_lock(8317151707346070884)";  // "sluicemd" as a big-endian int64

result<void> check_numbering(std::span<const migration> migrations) {
  int previous = 0;
  for (const migration& m : migrations) {
    if (m.version <= previous) {
      return make_error(sluice::errc::invalid_argument,
                        fmt::format("migrations must be numbered 1, 2, 3, ... in increasing "
                                    "order; version {} follows {}",
                                    m.version, previous));
    }
    previous = m.version;
  }
  return {};
}

// Runs `body` in a transaction that excludes other migrators: BEGIN IMMEDIATE already takes
// SQLite's write lock; PostgreSQL's READ COMMITTED needs an advisory lock held until the end.
template <class F>
result<void> exclusively(connection& c, F&& body) {
  SLUICE_TRY(c.begin());
  auto done = [&]() -> result<void> {
    if (c.kind() == dialect::postgresql) SLUICE_TRY(c.query(take_migration_lock));
    return body();
  }();
  if (!done) {
    c.rollback();
    return done;
  }
  return c.commit();
}

result<std::set<int>> recorded_versions(connection& c) {
  auto rows = SLUICE_TRY(c.query("SELECT version FROM sluice_migrations"));
  std::set<int> versions;
  for (const row& r : rows) versions.insert(static_cast<int>(r.integer(0)));
  return versions;
}

result<void> refuse_newer(const std::set<int>& recorded, int known) {
  if (recorded.empty() || *recorded.rbegin() <= known) return {};
  return make_error(errc::too_new,
                    fmt::format("the metadata database is at schema version {}; this sluice knows "
                                "up to {}: upgrade sluice",
                                *recorded.rbegin(), known));
}

int64_t now_ms() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
}

// One migration in its own transaction, unless another process recorded it meanwhile.
result<void> apply(connection& c, const migration& m) {
  auto applied = exclusively(c, [&]() -> result<void> {
    const value version[] = {int64_t{m.version}};
    auto found = SLUICE_TRY(c.query("SELECT 1 FROM sluice_migrations WHERE version = $1", version));
    if (!found.empty()) return {};
    bool own = c.kind() == dialect::postgresql && !m.postgresql_sql.empty();
    SLUICE_TRY(c.script(own ? m.postgresql_sql : m.sql));
    const value record[] = {int64_t{m.version}, now_ms()};
    SLUICE_TRY(
        c.query("INSERT INTO sluice_migrations (version, applied_at) VALUES ($1, $2)", record));
    return {};
  });
  if (!applied) {
    return std::unexpected(
        std::move(applied).error().with_context(fmt::format("applying migration {}", m.version)));
  }
  return {};
}

}  // namespace

result<int> migrate(connection& c, std::span<const migration> migrations) {
  SLUICE_TRY(check_numbering(migrations));
  // Concurrent CREATE TABLE IF NOT EXISTS can still collide on PostgreSQL; the lock orders them.
  SLUICE_TRY(exclusively(c, [&] { return c.script(create_migrations_table); }));
  int known = migrations.empty() ? 0 : migrations.back().version;
  auto recorded = SLUICE_TRY(recorded_versions(c));
  SLUICE_TRY(refuse_newer(recorded, known));
  for (const migration& m : migrations) {
    if (!recorded.contains(m.version)) SLUICE_TRY(apply(c, m));
  }
  recorded = SLUICE_TRY(recorded_versions(c));
  SLUICE_TRY(refuse_newer(recorded, known));  // a newer sluice may have migrated meanwhile
  return recorded.empty() ? 0 : *recorded.rbegin();
}

}  // namespace sluice::metadb
