#include "store/system_tables.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "base/bytes.h"
#include "parser/parser.h"
#include "store/keys.h"

namespace sluice::store {
namespace {

namespace fs = std::filesystem;

template <class T>
T ddl(std::string_view text) {
  auto s = parser::parse(text);
  EXPECT_TRUE(s) << s.error().message;
  return std::get<T>(s->body);
}

std::string text(const cell& c) {
  EXPECT_TRUE(c.has_value());
  return c ? std::string(c->begin(), c->end()) : "";
}

int32_t int32(const cell& c) {
  EXPECT_TRUE(c.has_value());
  byte_reader r(*c);
  return r.read_i32().value_or(0);
}

// A set's elements, or a map's keys and values alternating.
std::vector<std::string> elements(const cell& c, int per_entry = 1) {
  EXPECT_TRUE(c.has_value());
  std::vector<std::string> out;
  byte_reader r(*c);
  const int32_t n = r.read_i32().value_or(0) * per_entry;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t len = r.read_i32().value_or(0);
    out.push_back(std::string(as_string_view(r.read_bytes(static_cast<size_t>(len)).value())));
  }
  return out;
}

std::map<std::string, std::string> text_map(const cell& c) {
  const auto e = elements(c, 2);
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < e.size(); i += 2) out[e[i]] = e[i + 1];
  return out;
}

// Rows of `keyspace.name` by column name.
std::vector<std::map<std::string, cell>> rows_of(std::string_view keyspace, std::string_view name,
                                                 const catalog& c, const node_info& node) {
  const system_table* t = find_system_table(keyspace, name);
  EXPECT_NE(t, nullptr) << keyspace << "." << name;
  std::vector<std::map<std::string, cell>> out;
  if (t == nullptr) return out;
  for (const row& r : t->rows(c, node)) {
    std::map<std::string, cell> named;
    for (size_t i = 0; i < r.size() && i < t->schema().columns.size(); ++i) {
      named[t->schema().columns[i].name] = r[i];
    }
    out.push_back(std::move(named));
  }
  return out;
}

class SystemTablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice-system-tables-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    kv_ = std::move(*open_rocksdb(dir_, {}));
    catalog_.emplace(std::move(*catalog::open(*kv_)));
    node_.host_id[0] = 0xAB;
    node_.host_id[15] = 0xCD;
  }
  void TearDown() override {
    catalog_.reset();
    kv_.reset();
    fs::remove_all(dir_);
  }

  void create_schema() {
    ASSERT_TRUE(*catalog_->create_keyspace(ddl<parser::create_keyspace>(
        "CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', "
        "'replication_factor': '1'}")));
    auto t = table_from(ddl<parser::create_table>(
                            "CREATE TABLE shop.orders (customer text, placed timestamp, "
                            "total int, note text, region text static, PRIMARY KEY (customer, "
                            "placed)) WITH CLUSTERING ORDER BY (placed DESC)"),
                        "");
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_TRUE(*catalog_->create_table(*t, false));
  }

  fs::path dir_;
  std::unique_ptr<kv_store> kv_;
  std::optional<catalog> catalog_;
  node_info node_;
};

TEST_F(SystemTablesTest, KeyspacesIncludeSystemOnesWithFullStrategyClasses) {
  create_schema();
  std::map<std::string, std::map<std::string, cell>> by_name;
  for (auto& r : rows_of("system_schema", "keyspaces", *catalog_, node_)) {
    by_name[text(r["keyspace_name"])] = r;
  }
  ASSERT_EQ(by_name.size(), 3u);
  EXPECT_EQ(
      text_map(by_name["shop"]["replication"]),
      (std::map<std::string, std::string>{{"class", "org.apache.cassandra.locator.SimpleStrategy"},
                                          {"replication_factor", "1"}}));
  EXPECT_EQ(*by_name["shop"]["durable_writes"], std::vector<uint8_t>{1});
  EXPECT_EQ(text_map(by_name["system"]["replication"]),
            (std::map<std::string, std::string>{
                {"class", "org.apache.cassandra.locator.LocalStrategy"}}));
  ASSERT_TRUE(by_name.contains("system_schema"));
}

TEST_F(SystemTablesTest, TablesAndColumnsDescribeUserAndSystemTables) {
  create_schema();
  const table_schema* orders = catalog_->table("shop", "orders");
  ASSERT_NE(orders, nullptr);

  std::set<std::string> tables;
  for (auto& r : rows_of("system_schema", "tables", *catalog_, node_)) {
    const std::string name = text(r["keyspace_name"]) + "." + text(r["table_name"]);
    tables.insert(name);
    EXPECT_EQ(elements(r["flags"]), std::vector<std::string>{"compound"}) << name;
    if (name == "shop.orders") {
      EXPECT_EQ(*r["id"], std::vector<uint8_t>(orders->uuid.begin(), orders->uuid.end()));
      EXPECT_EQ(int32(r["gc_grace_seconds"]), 864000);
      EXPECT_EQ(text(r["comment"]), "");
      EXPECT_EQ(text_map(r["compaction"])["class"],
                "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy");
      EXPECT_EQ(text(r["speculative_retry"]), "99p");
      EXPECT_EQ(text_map(r["compression"]),
                (std::map<std::string, std::string>{{"enabled", "false"}}));
    }
    if (name == "system.local") {
      EXPECT_EQ(text(r["comment"]), "information about the local node");
      EXPECT_EQ(int32(r["gc_grace_seconds"]), 0);
    }
  }
  for (const system_table* t : system_tables()) {
    EXPECT_TRUE(tables.contains(t->schema().keyspace + "." + t->schema().name));
  }
  EXPECT_TRUE(tables.contains("shop.orders"));
  EXPECT_EQ(tables.size(), system_tables().size() + 1);

  // The compressor the store was configured with, as Cassandra names it.
  node_info lz4 = node_;
  lz4.compression = config::codec::lz4;
  for (auto& r : rows_of("system_schema", "tables", *catalog_, lz4)) {
    EXPECT_EQ(text_map(r["compression"])["class"],
              "org.apache.cassandra.io.compress.LZ4Compressor");
    EXPECT_EQ(text_map(r["compression"])["chunk_length_in_kb"], "16");
  }

  std::map<std::string, std::map<std::string, cell>> columns;
  for (auto& r : rows_of("system_schema", "columns", *catalog_, node_)) {
    if (text(r["keyspace_name"]) == "shop") columns[text(r["column_name"])] = r;
    if (text(r["keyspace_name"]) == "system_schema" && text(r["table_name"]) == "keyspaces" &&
        text(r["column_name"]) == "replication") {
      EXPECT_EQ(text(r["type"]), "frozen<map<text, text>>");
    }
  }
  ASSERT_EQ(columns.size(), 5u);
  EXPECT_EQ(text(columns["customer"]["kind"]), "partition_key");
  EXPECT_EQ(int32(columns["customer"]["position"]), 0);
  EXPECT_EQ(text(columns["customer"]["clustering_order"]), "none");
  EXPECT_EQ(text(columns["placed"]["kind"]), "clustering");
  EXPECT_EQ(text(columns["placed"]["clustering_order"]), "desc");
  EXPECT_EQ(text(columns["placed"]["type"]), "timestamp");
  EXPECT_EQ(int32(columns["placed"]["position"]), 0);
  EXPECT_EQ(text(columns["total"]["kind"]), "regular");
  EXPECT_EQ(int32(columns["total"]["position"]), -1);
  EXPECT_EQ(text(columns["total"]["type"]), "int");
  EXPECT_EQ(text(columns["region"]["kind"]), "static");
  EXPECT_EQ(int32(columns["region"]["position"]), -1);
  EXPECT_EQ(text(columns["note"]["column_name_bytes"]), "note");
}

TEST_F(SystemTablesTest, LocalDescribesTheNode) {
  auto rows = rows_of("system", "local", *catalog_, node_);
  ASSERT_EQ(rows.size(), 1u);
  auto& r = rows[0];
  EXPECT_EQ(text(r["key"]), "local");
  EXPECT_EQ(text(r["cluster_name"]), "sluice");
  EXPECT_EQ(text(r["data_center"]), "datacenter1");
  EXPECT_EQ(text(r["rack"]), "rack1");
  EXPECT_EQ(text(r["release_version"]), release_version);
  EXPECT_EQ(text(r["partitioner"]), "org.apache.cassandra.dht.Murmur3Partitioner");
  EXPECT_EQ(*r["rpc_address"], (std::vector<uint8_t>{127, 0, 0, 1}));
  EXPECT_EQ(int32(r["rpc_port"]), 9042);
  EXPECT_EQ(*r["host_id"], std::vector<uint8_t>(node_.host_id.begin(), node_.host_id.end()));
  const auto version = schema_version(catalog_->version());
  EXPECT_EQ(*r["schema_version"], std::vector<uint8_t>(version.begin(), version.end()));
  EXPECT_EQ(elements(r["tokens"]).size(), 1u);
  EXPECT_FALSE(r["truncated_at"].has_value());

  EXPECT_TRUE(rows_of("system", "peers", *catalog_, node_).empty());
  EXPECT_TRUE(rows_of("system", "peers_v2", *catalog_, node_).empty());
  EXPECT_EQ(find_system_table("system", "nope"), nullptr);
  EXPECT_EQ(find_system_table("shop", "local"), nullptr);
}

TEST_F(SystemTablesTest, EveryRowIsWellFormedAndSorted) {
  create_schema();
  for (const system_table* t : system_tables()) {
    const table_schema& s = t->schema();
    std::string previous;
    for (const row& r : t->rows(*catalog_, node_)) {
      ASSERT_EQ(r.size(), s.columns.size()) << s.name;
      for (size_t i = 0; i < r.size(); ++i) {
        if (!r[i]) continue;
        auto ok = s.columns[i].type.validate(*r[i]);
        EXPECT_TRUE(ok) << s.keyspace << "." << s.name << "." << s.columns[i].name << ": "
                        << (ok ? "" : ok.error().message);
      }
      std::vector<bytes_view> pk;
      for (const column* c : s.partition_key())
        pk.push_back(*r[static_cast<size_t>(c - s.columns.data())]);
      std::vector<bytes_view> ck;
      for (const column* c : s.clustering())
        ck.push_back(*r[static_cast<size_t>(c - s.columns.data())]);
      const std::string key = *partition_prefix(s, pk) + row_tag + *clustering_prefix(s, ck);
      EXPECT_LT(previous, key) << s.keyspace << "." << s.name;
      previous = key;
    }
  }
}

TEST_F(SystemTablesTest, SchemaVersionMovesWithDdl) {
  const auto before = schema_version(catalog_->version());
  EXPECT_EQ(before, schema_version(catalog_->version()));
  create_schema();
  const auto after = schema_version(catalog_->version());
  EXPECT_NE(before, after);
  EXPECT_EQ(after[6] >> 4, 4);
  EXPECT_EQ(after[8] >> 6, 2);
  ASSERT_TRUE(catalog_->drop_table("shop", "orders", false));
  EXPECT_NE(schema_version(catalog_->version()), after);
}

}  // namespace
}  // namespace sluice::store
