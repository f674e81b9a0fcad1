// Every behaviour runs on SQLite and, when SLUICE_TEST_POSTGRES_URL names a database, on
// PostgreSQL too (scripts/with-postgres starts a throwaway server and sets it). Without the
// variable the PostgreSQL instances skip, unless SLUICE_TEST_POSTGRES_REQUIRED=1 makes that a
// failure (the metadb_test.postgresql ctest entry sets it).
#include "metadb/metadb.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <thread>

#include "metadb/backends.h"

namespace sluice::metadb {
namespace {

enum class backend { sqlite, postgresql };
void PrintTo(backend b, std::ostream* os) {
  *os << (b == backend::sqlite ? "sqlite" : "postgresql");
}

std::string_view env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string make_temp_dir() {
  std::string pattern = ::testing::TempDir() + "metadb_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

// Each test gets its own database: a fresh directory on SQLite, a fresh schema on PostgreSQL
// (test processes may run in parallel against one server database).
class metadb : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::sqlite) {
      dir_ = make_temp_dir();
      ASSERT_FALSE(dir_.empty()) << "mkdtemp failed";
      url_ = "sqlite://" + dir_ + "/meta.db";
      return;
    }
    base_url_ = env("SLUICE_TEST_POSTGRES_URL");
    if (base_url_.empty()) {
      if (env("SLUICE_TEST_POSTGRES_REQUIRED") == "1") {
        FAIL() << "SLUICE_TEST_POSTGRES_REQUIRED=1 but SLUICE_TEST_POSTGRES_URL is not set";
      }
      GTEST_SKIP() << "SLUICE_TEST_POSTGRES_URL is not set (run under scripts/with-postgres)";
    }
    static std::atomic<int> counter = 0;
    schema_ = fmt::format("metadb_test_{}_{}", getpid(), counter++);
    auto admin = open(base_url_);
    ASSERT_TRUE(admin) << admin.error().to_string();
    auto created = (*admin)->script("CREATE SCHEMA " + schema_);
    ASSERT_TRUE(created) << created.error().to_string();
    char separator = base_url_.find('?') == std::string::npos ? '?' : '&';
    url_ = fmt::format("{}{}options=-csearch_path%3D{}", base_url_, separator, schema_);
  }

  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (schema_.empty()) return;
    if (auto admin = open(base_url_)) (void)(*admin)->script("DROP SCHEMA " + schema_ + " CASCADE");
  }

  std::unique_ptr<connection> connect() {
    auto c = open(url_);
    if (!c) ADD_FAILURE() << c.error().to_string();
    return c ? std::move(*c) : nullptr;
  }

  std::string dir_, base_url_, schema_, url_;
};

std::string name_of(const ::testing::TestParamInfo<backend>& info) {
  return info.param == backend::sqlite ? "sqlite" : "postgresql";
}

INSTANTIATE_TEST_SUITE_P(backends, metadb, ::testing::Values(backend::sqlite, backend::postgresql),
                         name_of);

int64_t count(connection& c, std::string_view table) {
  auto rows = c.query(fmt::format("SELECT COUNT(*) FROM {}", table));
  return rows && rows->size() == 1 ? (*rows)[0].integer(0) : -1;
}

TEST_P(metadb, values_round_trip) {
  auto c = connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->script("CREATE TABLE vals (id BIGINT PRIMARY KEY, n BIGINT, t TEXT)"));
  const std::string tricky = "it's \"quoted\", $1 and ?1, ünïcødé ✓";
  constexpr int64_t min = std::numeric_limits<int64_t>::min();
  constexpr int64_t max = std::numeric_limits<int64_t>::max();
  const value rows_in[][3] = {
      {int64_t{1}, {}, {}}, {int64_t{2}, min, tricky}, {int64_t{3}, max, std::string()}};
  for (const auto& r : rows_in) {
    auto inserted = c->query("INSERT INTO vals (id, n, t) VALUES ($1, $2, $3)", r);
    ASSERT_TRUE(inserted) << inserted.error().to_string();
  }
  auto rows = c->query("SELECT id, n, t FROM vals ORDER BY id");
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 3u);
  const row& nulls = (*rows)[0];
  EXPECT_TRUE(nulls.is_null(1) && nulls.is_null(2));
  EXPECT_EQ(nulls.integer(1), 0);
  EXPECT_EQ(nulls.text(2), "");
  EXPECT_EQ(nulls.optional_integer(1), std::nullopt);
  EXPECT_TRUE(std::holds_alternative<int64_t>(nulls.columns[0]));  // both dialects
  EXPECT_EQ((*rows)[1].integer(1), min);
  EXPECT_EQ((*rows)[1].text(2), tricky);
  EXPECT_EQ((*rows)[2].optional_integer(1), max);
  EXPECT_FALSE((*rows)[2].is_null(2));
  EXPECT_EQ((*rows)[2].text(2), "");
}

TEST_P(metadb, placeholders_inside_literals_and_comments_stay_text) {
  auto c = connect();
  ASSERT_TRUE(c);
  const value params[] = {std::string("p")};
  auto rows = c->query("SELECT '$1 it''s $2', CAST($1 AS TEXT) /* $2 */ -- $3", params);
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(0), "$1 it's $2");
  EXPECT_EQ((*rows)[0].text(1), "p");
}

TEST_P(metadb, duplicate_key_is_conflict) {
  auto c = connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(
      c->script("CREATE TABLE jobs (id BIGINT PRIMARY KEY); CREATE TABLE names "
                "(id BIGINT PRIMARY KEY, name TEXT UNIQUE)"));
  const value one[] = {int64_t{1}};
  ASSERT_TRUE(c->query("INSERT INTO jobs (id) VALUES ($1)", one));
  auto again = c->query("INSERT INTO jobs (id) VALUES ($1)", one);
  ASSERT_FALSE(again);
  EXPECT_TRUE(is(again.error(), errc::conflict)) << again.error().to_string();
  EXPECT_NE(again.error().message.find("INSERT INTO jobs"), std::string::npos);
  ASSERT_TRUE(c->script("INSERT INTO names (id, name) VALUES (1, 'a')"));
  auto unique = c->script("INSERT INTO names (id, name) VALUES (2, 'a')");
  ASSERT_FALSE(unique);
  EXPECT_TRUE(is(unique.error(), errc::conflict)) << unique.error().to_string();
}

TEST_P(metadb, other_refusals_are_query_failed) {
  auto c = connect();
  ASSERT_TRUE(c);
  auto syntax = c->query("SELEC 1");
  ASSERT_FALSE(syntax);
  EXPECT_TRUE(is(syntax.error(), errc::query_failed)) << syntax.error().to_string();
  auto two = c->query("SELECT 1; SELECT 2");
  ASSERT_FALSE(two);
  EXPECT_TRUE(is(two.error(), errc::query_failed)) << two.error().to_string();
  const value extra[] = {int64_t{1}, int64_t{2}};
  auto mismatch = c->query("SELECT CAST($1 AS BIGINT)", extra);
  ASSERT_FALSE(mismatch);
  EXPECT_TRUE(is(mismatch.error(), errc::query_failed)) << mismatch.error().to_string();
}

TEST_P(metadb, commit_keeps_and_rollback_discards) {
  auto c = connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->script("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  c->rollback();  // outside a transaction: nothing happens
  ASSERT_TRUE(c->begin());
  ASSERT_TRUE(c->script("INSERT INTO t (id) VALUES (1)"));
  c->rollback();
  EXPECT_EQ(count(*c, "t"), 0);
  ASSERT_TRUE(c->begin());
  ASSERT_TRUE(c->script("INSERT INTO t (id) VALUES (2)"));
  ASSERT_TRUE(c->commit());
  auto other = connect();
  ASSERT_TRUE(other);
  EXPECT_EQ(count(*other, "t"), 1);
  EXPECT_FALSE(c->commit());  // no transaction is open
}

TEST_P(metadb, transaction_object_rolls_back_unless_committed) {
  auto c = connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->script("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  {
    transaction tx(*c);
    ASSERT_TRUE(tx.begin());
    ASSERT_TRUE(c->script("INSERT INTO t (id) VALUES (1)"));
  }
  EXPECT_EQ(count(*c, "t"), 0);
  {
    transaction tx(*c);
    ASSERT_TRUE(tx.begin());
    ASSERT_TRUE(c->script("INSERT INTO t (id) VALUES (2)"));
    ASSERT_TRUE(tx.commit());
  }
  EXPECT_EQ(count(*c, "t"), 1);
  EXPECT_TRUE(c->begin());  // the connection is usable for the next transaction
  c->rollback();
}

TEST_P(metadb, statements_beyond_the_cache_still_run) {
  auto c = connect();
  ASSERT_TRUE(c);
  for (int64_t i = 0; i < 150; ++i) {
    const value params[] = {i};
    auto rows = c->query(fmt::format("SELECT CAST($1 AS BIGINT) + {}", i % 100), params);
    ASSERT_TRUE(rows) << rows.error().to_string();
    EXPECT_EQ((*rows)[0].integer(0), i + i % 100);
  }
}

const migration three_migrations[] = {
    {1, "CREATE TABLE log (n BIGINT, v TEXT)"},
    {2, "INSERT INTO log (n, v) VALUES (2, 'two'); INSERT INTO log (n, v) VALUES (2, 'deux')"},
    {3, "INSERT INTO log (n, v) VALUES (3, 'portable')",
     "INSERT INTO log (n, v) VALUES (3, 'postgresql')"},
};

TEST_P(metadb, migrate_applies_in_order_once) {
  auto c = connect();
  ASSERT_TRUE(c);
  auto two = migrate(*c, std::span(three_migrations).first(2));
  ASSERT_TRUE(two) << two.error().to_string();
  EXPECT_EQ(*two, 2);
  auto three = migrate(*c, three_migrations);  // an older database gets the rest
  ASSERT_TRUE(three) << three.error().to_string();
  EXPECT_EQ(*three, 3);
  auto again = migrate(*c, three_migrations);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(*again, 3);
  auto rows = c->query("SELECT n, v FROM log ORDER BY n, v");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].text(1), "deux");
  EXPECT_EQ((*rows)[2].text(1), GetParam() == backend::sqlite ? "portable" : "postgresql");
  EXPECT_EQ(count(*c, "sluice_migrations"), 3);
}

TEST_P(metadb, concurrent_migrations_apply_each_once) {
  for (int round = 0; round < 3; ++round) {
    auto c = connect();
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->script("DROP TABLE IF EXISTS log; DROP TABLE IF EXISTS sluice_migrations"));
    result<int> versions[2] = {0, 0};
    std::vector<std::thread> threads;
    for (auto& v : versions) {
      threads.emplace_back([&] {
        auto own = open(url_);
        v = own ? migrate(**own, three_migrations) : result<int>(std::unexpected(own.error()));
      });
    }
    for (auto& t : threads) t.join();
    for (auto& v : versions) {
      ASSERT_TRUE(v) << v.error().to_string();
      EXPECT_EQ(*v, 3);
    }
    EXPECT_EQ(count(*c, "log"), 3);
    EXPECT_EQ(count(*c, "sluice_migrations"), 3);
  }
}

TEST_P(metadb, newer_database_is_refused) {
  auto c = connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(migrate(*c, three_migrations));
  auto old = migrate(*c, std::span(three_migrations).first(2));
  ASSERT_FALSE(old);
  EXPECT_TRUE(is(old.error(), errc::too_new)) << old.error().to_string();
  EXPECT_EQ(old.error().message,
            "the metadata database is at schema version 3; this sluice knows up to 2: upgrade "
            "sluice");
  const migration disordered[] = {{2, "SELECT 1"}, {1, "SELECT 1"}};
  auto bad = migrate(*c, disordered);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(is(bad.error(), sluice::errc::invalid_argument)) << bad.error().to_string();
}

TEST_P(metadb, failed_migration_leaves_nothing) {
  auto c = connect();
  ASSERT_TRUE(c);
  const migration broken[] = {{1, "CREATE TABLE a (id BIGINT)"},
                              {2, "CREATE TABLE b (id BIGINT); SELEC 1"}};
  auto r = migrate(*c, broken);
  ASSERT_FALSE(r);
  EXPECT_TRUE(is(r.error(), errc::query_failed));
  EXPECT_TRUE(r.error().message.starts_with("applying migration 2: ")) << r.error().message;
  EXPECT_EQ(count(*c, "sluice_migrations"), 1);
  EXPECT_FALSE(c->query("SELECT * FROM b"));  // the transaction took the table with it
}

// PostgreSQL-only behaviour, on the same per-test schema.
class metadb_postgresql_only : public metadb {};
INSTANTIATE_TEST_SUITE_P(backends, metadb_postgresql_only, ::testing::Values(backend::postgresql),
                         name_of);

TEST_P(metadb_postgresql_only, skip_locked_hands_out_different_rows) {
  auto a = connect(), b = connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(
      a->script("CREATE TABLE queue (id BIGINT PRIMARY KEY); "
                "INSERT INTO queue (id) VALUES (1), (2), (3)"));
  constexpr std::string_view claim =
      "SELECT id FROM queue ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
  ASSERT_TRUE(a->begin() && b->begin());
  auto first = a->query(claim);
  auto second = b->query(claim);
  ASSERT_TRUE(first && second);
  ASSERT_EQ(first->size(), 1u);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*first)[0].integer(0), 1);
  EXPECT_EQ((*second)[0].integer(0), 2);
  a->rollback();
  b->rollback();
}

TEST_P(metadb_postgresql_only, lock_not_available_is_busy_and_aborts_the_transaction) {
  auto a = connect(), b = connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(
      a->script("CREATE TABLE queue (id BIGINT PRIMARY KEY); "
                "INSERT INTO queue (id) VALUES (1)"));
  ASSERT_TRUE(a->begin() && b->begin());
  ASSERT_TRUE(a->query("SELECT id FROM queue WHERE id = 1 FOR UPDATE"));
  auto locked = b->query("SELECT id FROM queue WHERE id = 1 FOR UPDATE NOWAIT");
  ASSERT_FALSE(locked);
  EXPECT_TRUE(is(locked.error(), errc::busy)) << locked.error().to_string();
  auto commit = b->commit();
  ASSERT_FALSE(commit);
  EXPECT_TRUE(is(commit.error(), errc::query_failed));
  EXPECT_TRUE(b->begin());  // the aborted transaction was rolled back
  b->rollback();
  a->rollback();
}

TEST_P(metadb_postgresql_only, terminated_backend_is_unreachable) {
  auto a = connect(), b = connect();
  ASSERT_TRUE(a && b);
  auto pid = a->query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid);
  const value params[] = {(*pid)[0].integer(0)};
  ASSERT_TRUE(b->query("SELECT pg_terminate_backend(CAST($1 AS INTEGER), 5000)", params));
  auto lost = a->query("SELECT 1");
  ASSERT_FALSE(lost);
  EXPECT_TRUE(is(lost.error(), errc::unreachable)) << lost.error().to_string();
  a->rollback();  // never fails, even without a server
}

TEST(metadb_postgresql, closed_port_is_unreachable) {
  auto c = open("postgresql://postgres:hunter2@127.0.0.1:1/sluice");
  ASSERT_FALSE(c);
  EXPECT_TRUE(is(c.error(), errc::unreachable)) << c.error().to_string();
  EXPECT_NE(c.error().message.find("postgres:***@127.0.0.1:1"), std::string::npos);
  EXPECT_EQ(c.error().message.find("hunter2"), std::string::npos);
}

TEST(metadb_url, bad_urls) {
  for (std::string_view url :
       {"", "mysql://x", "sqlite:/x.db", "sqlite://", "sqlite://x.db?mode=ro",
        "postgresql://u:hunter2@h/db?no_such_option=1"}) {
    auto c = open(url);
    ASSERT_FALSE(c) << url;
    EXPECT_TRUE(is(c.error(), errc::bad_url)) << url << ": " << c.error().to_string();
    EXPECT_EQ(c.error().message.find("hunter2"), std::string::npos);
  }
}

TEST(metadb_url, passwords_are_masked) {
  EXPECT_EQ(detail::mask_password("postgresql://u:pw@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(detail::mask_password("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
  EXPECT_EQ(detail::mask_password("postgresql://u@h/db?sslmode=require"),
            "postgresql://u@h/db?sslmode=require");
  EXPECT_EQ(detail::mask_password("postgresql://h/db?password=pw&sslmode=require"),
            "postgresql://h/db?password=***&sslmode=require");
  EXPECT_EQ(detail::mask_password("postgresql://h:5432"), "postgresql://h:5432");
}

TEST(metadb_sqlite, unwritable_place_is_unreachable) {
  auto c = open("sqlite:///proc/x/y.db");
  ASSERT_FALSE(c);
  EXPECT_TRUE(is(c.error(), errc::unreachable)) << c.error().to_string();
}

TEST(metadb_sqlite, settings_and_relative_paths) {
  std::string dir = make_temp_dir();
  ASSERT_FALSE(dir.empty());
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  auto normal = open("sqlite://a/b/meta.db");
  auto full = open("sqlite://full.db?synchronous=full");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(normal) << normal.error().to_string();
  ASSERT_TRUE(full) << full.error().to_string();
  EXPECT_TRUE(std::filesystem::exists(dir + "/a/b/meta.db"));
  EXPECT_EQ((*normal)->describe_target(), "sqlite://a/b/meta.db");
  EXPECT_EQ((*normal)->kind(), dialect::sqlite);
  auto pragma = [](connection& c, std::string_view name) {
    auto rows = c.query(fmt::format("PRAGMA {}", name));
    return rows && !rows->empty() ? (*rows)[0].text(0) : "?";
  };
  EXPECT_EQ(pragma(**normal, "journal_mode"), "wal");
  EXPECT_EQ(pragma(**normal, "synchronous"), "1");  // NORMAL
  EXPECT_EQ(pragma(**normal, "foreign_keys"), "1");
  EXPECT_EQ(pragma(**full, "synchronous"), "2");  // FULL
  normal->reset();
  full->reset();
  std::filesystem::remove_all(dir);
}

TEST(metadb_row, accessors_never_throw) {
  row r{{std::monostate{}, int64_t{-7}, std::string("42"), std::string("4x2")}};
  EXPECT_TRUE(r.is_null(0));
  EXPECT_TRUE(r.is_null(9));
  EXPECT_EQ(r.integer(1), -7);
  EXPECT_EQ(r.text(1), "-7");
  EXPECT_EQ(r.integer(2), 42);
  EXPECT_EQ(r.integer(3), 0);
  EXPECT_EQ(r.integer(9), 0);
  EXPECT_EQ(r.text(9), "");
  EXPECT_EQ(r.optional_integer(0), std::nullopt);
  EXPECT_EQ(r.optional_integer(2), 42);
}

}  // namespace
}  // namespace sluice::metadb
