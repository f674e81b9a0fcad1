// The engine end to end on a real RocksDB: DDL, writes, reads, deletions, TTLs, paging.
#include "store/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>

#include <fmt/format.h>

#include "store/cells.h"

namespace sluice::store {
namespace {

namespace fs = std::filesystem;
using rows_t = std::vector<std::vector<std::string>>;

int64_t be(const std::vector<uint8_t>& b) {
  int64_t v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  if (b.size() == 4) v = static_cast<int32_t>(v);
  return v;
}

std::string render(const cql::data_type& type, const std::optional<std::vector<uint8_t>>& c) {
  if (!c) return "null";
  switch (type.id) {
    case cql::type_id::int_:
    case cql::type_id::bigint: return std::to_string(be(*c));
    case cql::type_id::boolean: return (*c)[0] ? "true" : "false";
    case cql::type_id::varchar:
    case cql::type_id::ascii: return std::string(c->begin(), c->end());
    default: return fmt::format("<{} bytes>", c->size());
  }
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("sluice-engine-{}", std::random_device{}());
    open();
    run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': "
        "1}");
    run("USE ks");
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }
  void open() {
    engine_options o;
    o.dir = dir_;
    o.sync = false;
    o.clock_us = [this] { return now_us_.load(); };
    engine_ = std::move(*engine::open(o));
  }

  cql::result_response run(std::string_view q) {
    auto r = engine_->run(q, session_);
    EXPECT_TRUE(r) << q << ": " << (r ? "" : r.error().message);
    return r ? std::move(*r) : cql::result_response{};
  }
  std::string error_of(std::string_view q) {
    auto r = engine_->run(q, session_);
    return r ? "no error" : r.error().message;
  }
  static rows_t table(const cql::result_response& r) {
    rows_t out;
    const auto& cols = r.rows.metadata.columns;
    for (int32_t i = 0; i < r.rows.row_count; ++i) {
      std::vector<std::string> row;
      for (size_t c = 0; c < cols.size(); ++c) {
        row.push_back(render(cols[c].type, r.rows.cells[static_cast<size_t>(i) * cols.size() + c]));
      }
      out.push_back(std::move(row));
    }
    return out;
  }
  rows_t select(std::string_view q) { return table(run(q)); }

  fs::path dir_;
  std::atomic<int64_t> now_us_{1'700'000'000'000'000};
  std::unique_ptr<engine> engine_;
  session session_;
};

TEST_F(EngineTest, InsertSelectAndLastWriteWins) {
  run("CREATE TABLE users (id int PRIMARY KEY, name text, age int)");
  run("INSERT INTO users (id, name, age) VALUES (1, 'ada', 36)");
  run("INSERT INTO users (id, name) VALUES (2, 'bob')");
  EXPECT_EQ(select("SELECT id, name, age FROM users WHERE id = 1"), (rows_t{{"1", "ada", "36"}}));
  EXPECT_EQ(select("SELECT * FROM users WHERE id = 2"), (rows_t{{"2", "null", "bob"}}));
  // An older timestamp loses; a newer one wins.
  run("UPDATE users USING TIMESTAMP 1 SET name = 'old' WHERE id = 1");
  EXPECT_EQ(select("SELECT name FROM users WHERE id = 1"), (rows_t{{"ada"}}));
  run("UPDATE users SET name = 'ada l.' WHERE id = 1");
  EXPECT_EQ(select("SELECT name AS n FROM users WHERE id = 1"), (rows_t{{"ada l."}}));
  EXPECT_EQ(run("SELECT name AS n FROM users WHERE id = 1").rows.metadata.columns[0].name, "n");
  EXPECT_EQ(select("SELECT count(*) FROM users"), (rows_t{{"2"}}));
  run("INSERT INTO users (id, name) VALUES (1, null)");
  EXPECT_EQ(select("SELECT name FROM users WHERE id = 1"), (rows_t{{"null"}}));
}

TEST_F(EngineTest, ClusteringOrderRangesAndDeletes) {
  run("CREATE TABLE t (pk int, ck int, v text, PRIMARY KEY (pk, ck)) WITH CLUSTERING ORDER BY "
      "(ck DESC)");
  for (int pk = 1; pk <= 2; ++pk) {
    for (int ck = 1; ck <= 9; ++ck) {
      run(fmt::format("INSERT INTO t (pk, ck, v) VALUES ({}, {}, 'v{}')", pk, ck, ck));
    }
  }
  auto cks = [&](std::string_view q) {
    std::vector<std::string> out;
    for (auto& r : select(q)) out.push_back(r[0]);
    return fmt::format("{}", fmt::join(out, ","));
  };
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 1"), "9,8,7,6,5,4,3,2,1");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 1 ORDER BY ck ASC"), "1,2,3,4,5,6,7,8,9");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 1 AND ck > 3 AND ck <= 7"), "7,6,5,4");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 1 AND ck > 3 AND ck <= 7 ORDER BY ck"), "4,5,6,7");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 1 AND ck IN (2, 5, 8)"), "8,5,2");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 1 LIMIT 3"), "9,8,7");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk IN (1, 2) PER PARTITION LIMIT 2"), "9,8,9,8");
  EXPECT_EQ(cks("SELECT ck FROM t PER PARTITION LIMIT 1"), "9,9");
  // ORDER BY over several partitions merges their rows in clustering order.
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk IN (1, 2) AND ck > 6 ORDER BY ck ASC"), "7,7,8,8,9,9");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk IN (1, 2) AND ck < 3 ORDER BY ck DESC"), "2,2,1,1");
  EXPECT_EQ(select("SELECT count(*) FROM t"), (rows_t{{"18"}}));

  run("DELETE FROM t WHERE pk = 1 AND ck = 9");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 1"), "8,7,6,5,4,3,2,1");
  run("DELETE FROM t WHERE pk = 1 AND ck > 5");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 1"), "5,4,3,2,1");
  run("DELETE FROM t WHERE pk = 1 AND ck <= 2");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 1"), "5,4,3");
  run("DELETE v FROM t WHERE pk = 1 AND ck = 4");
  EXPECT_EQ(select("SELECT ck, v FROM t WHERE pk = 1 AND ck = 4"), (rows_t{{"4", "null"}}));
  run("DELETE FROM t WHERE pk = 2");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 2"), "");
  // A write after the deletion is visible again; one stamped before it is not.
  run("INSERT INTO t (pk, ck, v) VALUES (2, 1, 'back')");
  run("INSERT INTO t (pk, ck, v) VALUES (2, 2, 'late') USING TIMESTAMP 5");
  EXPECT_EQ(cks("SELECT ck FROM t WHERE pk = 2"), "1");
  EXPECT_EQ(select("SELECT count(*) FROM t"), (rows_t{{"4"}}));
}

TEST_F(EngineTest, TtlExpiresAndIsReported) {
  run("CREATE TABLE t (k text PRIMARY KEY, v int)");
  run("INSERT INTO t (k, v) VALUES ('a', 1) USING TTL 10");
  run("INSERT INTO t (k, v) VALUES ('b', 2)");
  EXPECT_EQ(select("SELECT k, ttl(v) FROM t WHERE k = 'a'"), (rows_t{{"a", "10"}}));
  EXPECT_EQ(select("SELECT ttl(v) FROM t WHERE k = 'b'"), (rows_t{{"null"}}));
  EXPECT_EQ(select("SELECT writetime(v) FROM t WHERE k = 'b'")[0][0].size(), 16u);
  now_us_ += 11'000'000;
  EXPECT_EQ(select("SELECT k FROM t"), (rows_t{{"b"}}));
  EXPECT_EQ(error_of("INSERT INTO t (k, v) VALUES ('c', 1) USING TTL -1"),
            "A TTL must be greater or equal to 0, but was -1");
}

TEST_F(EngineTest, PagingReturnsEveryRowOnce) {
  run("CREATE TABLE t (pk int, ck int, PRIMARY KEY (pk, ck))");
  for (int pk = 0; pk < 20; ++pk) {
    for (int ck = 0; ck < 15; ++ck)
      run(fmt::format("INSERT INTO t (pk, ck) VALUES ({}, {})", pk, ck));
  }
  for (std::string q :
       {"SELECT pk, ck FROM t", "SELECT pk, ck FROM t PER PARTITION LIMIT 4",
        "SELECT pk, ck FROM t WHERE pk IN (3, 4, 5)", "SELECT pk, ck FROM t LIMIT 77"}) {
    auto p = *engine_->prepare(q, session_);
    std::set<std::pair<std::string, std::string>> seen;
    std::optional<std::vector<uint8_t>> state;
    size_t total = 0;
    for (int pages = 0; pages < 1000; ++pages) {
      execution how;
      how.page_size = 7;
      if (state) how.paging_state = *state;
      auto out = engine_->execute(*p, session_, {}, how);
      ASSERT_TRUE(out) << out.error().message;
      for (auto& r : table(out->response)) {
        EXPECT_TRUE(seen.emplace(r[0], r[1]).second) << q << " repeated " << r[0] << "," << r[1];
        ++total;
      }
      EXPECT_LE(out->response.rows.row_count, 7);
      state = out->response.rows.metadata.paging_state;
      if (!state) break;
    }
    const size_t want = q.find("PER PARTITION") != std::string::npos ? 80
                        : q.find("IN (") != std::string::npos        ? 45
                        : q.find("LIMIT 77") != std::string::npos    ? 77
                                                                     : 300;
    EXPECT_EQ(total, want) << q;
  }
}

TEST_F(EngineTest, TokenRangesFollowTokenOrder) {
  run("CREATE TABLE t (k int PRIMARY KEY)");
  for (int k = 0; k < 50; ++k) run(fmt::format("INSERT INTO t (k) VALUES ({})", k));
  auto all = select("SELECT token(k), k FROM t");
  ASSERT_EQ(all.size(), 50u);
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_LT(std::stoll(all[i - 1][0]), std::stoll(all[i][0]));
  auto tail = select(fmt::format("SELECT k FROM t WHERE token(k) > {}", all[24][0]));
  EXPECT_EQ(tail.size(), 25u);
  EXPECT_EQ(tail[0][0], all[25][1]);
  auto mid = select(fmt::format("SELECT k FROM t WHERE token(k) >= {} AND token(k) <= {}",
                                all[10][0], all[12][0]));
  EXPECT_EQ(mid.size(), 3u);
}

TEST_F(EngineTest, FilteringNeedsAllowFiltering) {
  run("CREATE TABLE t (k int PRIMARY KEY, v int)");
  for (int k = 0; k < 10; ++k) run(fmt::format("INSERT INTO t (k, v) VALUES ({}, {})", k, k % 3));
  EXPECT_NE(error_of("SELECT k FROM t WHERE v = 1").find("ALLOW FILTERING"), std::string::npos);
  EXPECT_EQ(select("SELECT count(*) FROM t WHERE v = 1 ALLOW FILTERING"), (rows_t{{"3"}}));
  EXPECT_EQ(select("SELECT count(*) FROM t WHERE v > 0 ALLOW FILTERING"), (rows_t{{"6"}}));
  EXPECT_EQ(error_of("SELECT nope FROM t"), "Undefined column name nope");
  EXPECT_EQ(error_of("SELECT * FROM missing"), "unconfigured table missing");
  EXPECT_EQ(error_of("INSERT INTO t (v) VALUES (1)"), "Some partition key parts are missing: k");
  EXPECT_EQ(error_of("UPDATE t SET v = 1 WHERE v = 2"),
            "Non PRIMARY KEY columns found in where clause: v");
}

TEST_F(EngineTest, StaticColumnsAndConditionalWrites) {
  run("CREATE TABLE t (pk int, ck int, s text static, v int, PRIMARY KEY (pk, ck))");
  run("INSERT INTO t (pk, ck, s, v) VALUES (1, 1, 'shared', 10)");
  run("INSERT INTO t (pk, ck, v) VALUES (1, 2, 20)");
  EXPECT_EQ(select("SELECT ck, s, v FROM t WHERE pk = 1"),
            (rows_t{{"1", "shared", "10"}, {"2", "shared", "20"}}));
  run("UPDATE t SET s = 'only' WHERE pk = 2");
  EXPECT_EQ(select("SELECT pk, ck, s FROM t WHERE pk = 2"), (rows_t{{"2", "null", "only"}}));
  EXPECT_EQ(select("INSERT INTO t (pk, ck, v) VALUES (1, 1, 99) IF NOT EXISTS"),
            (rows_t{{"false"}}));
  EXPECT_EQ(select("INSERT INTO t (pk, ck, v) VALUES (1, 3, 30) IF NOT EXISTS"),
            (rows_t{{"true"}}));
  EXPECT_EQ(select("UPDATE t SET v = 5 WHERE pk = 9 AND ck = 9 IF EXISTS"), (rows_t{{"false"}}));
  EXPECT_EQ(select("SELECT count(*) FROM t WHERE pk = 1"), (rows_t{{"3"}}));
}

TEST_F(EngineTest, DataAndSchemaSurviveReopening) {
  run("CREATE TABLE t (k int PRIMARY KEY, v text)");
  run("INSERT INTO t (k, v) VALUES (1, 'kept')");
  run("ALTER TABLE t ADD extra int");
  run("UPDATE t SET extra = 7 WHERE k = 1");
  engine_.reset();
  open();
  EXPECT_EQ(select("SELECT k, v, extra FROM ks.t"), (rows_t{{"1", "kept", "7"}}));
  run("TRUNCATE ks.t");
  EXPECT_EQ(select("SELECT count(*) FROM ks.t"), (rows_t{{"0"}}));
  run("INSERT INTO ks.t (k, v) VALUES (2, 'x')");
  run("DROP TABLE ks.t");
  run("CREATE TABLE ks.t (k int PRIMARY KEY, v text)");
  EXPECT_EQ(select("SELECT count(*) FROM ks.t"), (rows_t{{"0"}}));
}

TEST_F(EngineTest, SystemTablesAnswerQueries) {
  run("CREATE TABLE t (k int PRIMARY KEY, v text)");
  EXPECT_EQ(select("SELECT key, data_center, rack FROM system.local WHERE key = 'local'"),
            (rows_t{{"local", "datacenter1", "rack1"}}));
  EXPECT_EQ(select("SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'ks'"),
            (rows_t{{"t"}}));
  EXPECT_EQ(select("SELECT column_name, kind FROM system_schema.columns WHERE keyspace_name = 'ks' "
                   "AND table_name = 't'"),
            (rows_t{{"k", "partition_key"}, {"v", "regular"}}));
  EXPECT_EQ(select("SELECT * FROM system.peers").size(), 0u);
  EXPECT_NE(error_of("SELECT * FROM system_virtual_schema.keyspaces"), "no error");
}

// Found by review: each case once returned a wrong answer or took the server down.
TEST_F(EngineTest, ReviewedEdgeCases) {
  run("CREATE TABLE t (k int, c int, v int, s int static, PRIMARY KEY (k, c))");
  for (int k = 0; k < 3; ++k) {
    for (int c = 0; c < 4; ++c)
      run(fmt::format("INSERT INTO t (k, c, v) VALUES ({}, {}, 0)", k, c));
  }
  // An empty IN names nothing; it does not scan the table.
  EXPECT_EQ(select("SELECT * FROM t WHERE k IN ()").size(), 0u);
  EXPECT_EQ(select("SELECT count(*) FROM t WHERE k IN ()"), (rows_t{{"0"}}));
  EXPECT_EQ(select("SELECT * FROM t WHERE k = 1 AND c IN ()").size(), 0u);
  // COUNT(*) counts every row whatever the LIMIT.
  EXPECT_EQ(select("SELECT count(*) FROM t LIMIT 2"), (rows_t{{"12"}}));
  EXPECT_EQ(select("SELECT count(*) FROM t WHERE k IN (0, 1, 2) PER PARTITION LIMIT 1"),
            (rows_t{{"12"}}));
  // ORDER BY over IN sorts first, then limits.
  // (rows with equal clustering keys come in token order).
  auto top = select("SELECT k, c FROM t WHERE k IN (0, 1, 2) ORDER BY c DESC LIMIT 3");
  ASSERT_EQ(top.size(), 3u);
  std::set<std::string> keys;
  for (const auto& r : top) {
    EXPECT_EQ(r[1], "3");
    keys.insert(r[0]);
  }
  EXPECT_EQ(keys, (std::set<std::string>{"0", "1", "2"}));
  // A TTL whose expiry would pass 2038 is refused, not wrapped around.
  EXPECT_NE(error_of("INSERT INTO t (k, c, v) VALUES (5, 5, 5) USING TTL 630720000")
                .find("maximum supported expiration date"),
            std::string::npos);
  EXPECT_EQ(error_of("INSERT INTO t (k, c, v) VALUES (5, 5, 5) USING TIMESTAMP "
                     "-9223372036854775808"),
            "Out of bound timestamp");
  // Only the partition key and statics: the partition's statics.
  run("INSERT INTO t (k, s) VALUES (50, 1)");
  EXPECT_EQ(select("SELECT k, c, s FROM t WHERE k = 50"), (rows_t{{"50", "null", "1"}}));
  // IF NOT EXISTS with a static column checks the row, not the partition.
  EXPECT_EQ(select("INSERT INTO t (k, c, v, s) VALUES (0, 100, 1, 1) IF NOT EXISTS"),
            (rows_t{{"true"}}));
  EXPECT_EQ(select("UPDATE t SET v = 1, s = 1 WHERE k = 0 AND c = 999 IF EXISTS"),
            (rows_t{{"false"}}));
  EXPECT_EQ(select("DELETE FROM t WHERE k = 50 IF EXISTS"), (rows_t{{"true"}}));
  // Conditions inside a batch are refused, whatever the statement.
  EXPECT_NE(error_of("BEGIN BATCH UPDATE t SET v = 2 WHERE k = 0 AND c = 0 IF EXISTS; APPLY BATCH")
                .find("Conditional"),
            std::string::npos);
  // At equal timestamps an expiring cell wins over a live one, as in Cassandra.
  run("INSERT INTO t (k, c, v) VALUES (60, 1, 2) USING TIMESTAMP 1000");
  run("INSERT INTO t (k, c, v) VALUES (60, 1, 1) USING TIMESTAMP 1000 AND TTL 1000");
  EXPECT_EQ(select("SELECT v, ttl(v) FROM t WHERE k = 60 AND c = 1"), (rows_t{{"1", "1000"}}));
  // An end bound at the minimum token is the end of the ring.
  EXPECT_EQ(select("SELECT count(*) FROM t WHERE token(k) <= -9223372036854775808 ALLOW FILTERING"),
            select("SELECT count(*) FROM t"));
}

TEST_F(EngineTest, PreparedWritesKeepTheirKeyspace) {
  run("CREATE TABLE t (k int PRIMARY KEY, v int)");
  run("CREATE KEYSPACE ks2 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': "
      "1}");
  run("CREATE TABLE ks2.t (k int PRIMARY KEY, v int)");
  auto insert = *engine_->prepare("INSERT INTO t (k, v) VALUES (1, 1)", session_);
  run("USE ks2");
  auto out = engine_->execute(*insert, session_, {}, {});
  ASSERT_TRUE(out);
  ASSERT_TRUE(engine_->commit(out->changes));
  EXPECT_EQ(select("SELECT count(*) FROM ks.t"), (rows_t{{"1"}}));
  EXPECT_EQ(select("SELECT count(*) FROM ks2.t"), (rows_t{{"0"}}));
}

// Merging is associative and commutative, so the order in which RocksDB combines operands
// cannot change a row.
TEST(CellsTest, MergeOrderDoesNotMatter) {
  std::mt19937 rng(7);
  std::vector<std::string> values{"a", "b", "c"};
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> ops;
    for (int i = 0; i < 5; ++i) {
      record r;
      if (rng() % 4 == 0) r.deleted_at = static_cast<int64_t>(rng() % 10);
      if (rng() % 2) r.marker = liveness{static_cast<int64_t>(rng() % 10), 0, 0};
      for (uint16_t col = 0; col < 3; ++col) {
        if (rng() % 2) continue;
        cell_record c{col, liveness{static_cast<int64_t>(rng() % 10), 0, 0}, rng() % 3 == 0, {}};
        if (!c.tombstone) c.value = values[rng() % 3];
        r.cells.push_back(c);
      }
      ops.push_back(encode(r));
    }
    std::vector<std::string_view> forward(ops.begin(), ops.end());
    std::vector<std::string_view> backward(ops.rbegin(), ops.rend());
    const std::string a = merge_encoded(std::nullopt, forward);
    const std::string b = merge_encoded(std::nullopt, backward);
    const std::string left = merge_encoded(std::nullopt, std::span(forward).first(2));
    std::vector<std::string_view> rest{left};
    rest.insert(rest.end(), forward.begin() + 2, forward.end());
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, merge_encoded(std::nullopt, rest));
  }
}

}  // namespace
}  // namespace sluice::store
