#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "parser/parser.h"
#include "store/catalog.h"
#include "store/kv.h"

namespace sluice::store {
namespace {

namespace fs = std::filesystem;

template <class T>
T ddl(std::string_view text) {
  auto s = parser::parse(text);
  EXPECT_TRUE(s) << s.error().message;
  return std::get<T>(s->body);
}

std::string schema_error(std::string_view text, std::string_view current = "ks") {
  auto t = table_from(ddl<parser::create_table>(text), current);
  EXPECT_FALSE(t) << text;
  return t ? "" : t.error().message;
}

TEST(Schema, TablesFromDdl) {
  auto t = *table_from(ddl<parser::create_table>(
                           "CREATE TABLE e (tenant text, day date, at timestamp, seq int, "
                           "v map<text, int>, owner text static, PRIMARY KEY ((tenant, day), at, "
                           "seq)) WITH CLUSTERING ORDER BY (at DESC)"),
                       "ks");
  EXPECT_EQ(t.keyspace, "ks");
  auto pk = t.partition_key();
  ASSERT_EQ(pk.size(), 2u);
  EXPECT_EQ(pk[1]->name, "day");
  auto ck = t.clustering();
  ASSERT_EQ(ck.size(), 2u);
  EXPECT_TRUE(ck[0]->descending);
  EXPECT_FALSE(ck[1]->descending);
  EXPECT_EQ(t.find("owner")->kind, column_kind::static_);
  EXPECT_EQ(t.find("v")->type.name(), "map<text, int>");
}

TEST(Schema, CassandraRulesAndMessages) {
  EXPECT_EQ(schema_error("CREATE TABLE t (a int PRIMARY KEY, b text)", ""),
            "No keyspace has been specified. USE a keyspace, or explicitly specify "
            "keyspace.tablename");
  EXPECT_EQ(schema_error("CREATE TABLE t (a int, a text, PRIMARY KEY (a))"),
            "Multiple definition of identifier a");
  EXPECT_EQ(schema_error("CREATE TABLE t (a int, PRIMARY KEY (b))"),
            "Unknown definition b referenced in PRIMARY KEY");
  EXPECT_EQ(schema_error("CREATE TABLE t (a list<int>, PRIMARY KEY (a))"),
            "Invalid collection type for PRIMARY KEY component a");
  EXPECT_EQ(schema_error("CREATE TABLE t (a int PRIMARY KEY, s int static)"),
            "Static columns are only useful (and thus allowed) if the table has at least one "
            "clustering column");
  EXPECT_EQ(schema_error("CREATE TABLE t (a int, b int, c int, PRIMARY KEY (a, b, c)) WITH "
                         "CLUSTERING ORDER BY (c DESC)"),
            "The order of columns in the CLUSTERING ORDER directive must match that of the "
            "clustering columns (c instead of b)");
  EXPECT_EQ(schema_error("CREATE TABLE t (a int PRIMARY KEY, b nosuchtype)"),
            "column b: unknown type 'nosuchtype'");
  EXPECT_EQ(schema_error("CREATE TABLE t (a int PRIMARY KEY, b counter)"),
            "column b: counter columns are not supported");
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice-catalog-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CatalogTest, DdlPersistsAcrossReopening) {
  uint32_t users_id = 0;
  {
    auto kv = std::move(*open_rocksdb(dir_, {}));
    auto c = std::move(*catalog::open(*kv));
    ASSERT_TRUE(*c.create_keyspace(ddl<parser::create_keyspace>(
        "CREATE KEYSPACE spark_streams WITH replication = {'class': 'SimpleStrategy', "
        "'replication_factor': '1'}")));
    auto again = c.create_keyspace(ddl<parser::create_keyspace>(
        "CREATE KEYSPACE spark_streams WITH replication = {'class': 'SimpleStrategy'}"));
    ASSERT_FALSE(again);
    EXPECT_TRUE(is(again.error(), errc::already_exists));
    EXPECT_FALSE(*c.create_keyspace(ddl<parser::create_keyspace>(
        "CREATE KEYSPACE IF NOT EXISTS spark_streams WITH replication = {'class': 'x'}")));

    auto users = *table_from(
        ddl<parser::create_table>("CREATE TABLE spark_streams.created_users (id uuid PRIMARY "
                                  "KEY, first_name text, dob text)"),
        "");
    ASSERT_TRUE(*c.create_table(users, false));
    EXPECT_TRUE(is(c.create_table(users, false).error(), errc::already_exists));
    EXPECT_FALSE(*c.create_table(users, true));
    users_id = c.table("spark_streams", "created_users")->id;
    EXPECT_GE(users_id, 1u);

    auto extra = *table_from(ddl<parser::create_table>("CREATE TABLE t (a int PRIMARY KEY)"),
                             "spark_streams");
    ASSERT_TRUE(c.create_table(extra, false));
    ASSERT_TRUE(*c.drop_table("spark_streams", "t", false));
    EXPECT_FALSE(*c.drop_table("spark_streams", "t", true));
    EXPECT_TRUE(is(c.drop_table("spark_streams", "t", false).error(), errc::invalid));

    const auto* t = c.table("spark_streams", "created_users");
    auto added = columns_to_add(
        *t, ddl<parser::alter_table_add>("ALTER TABLE spark_streams.created_users ADD phone text"));
    ASSERT_TRUE(added);
    ASSERT_TRUE(c.add_columns("spark_streams", "created_users", std::move(*added)));
    EXPECT_FALSE(columns_to_add(*c.table("spark_streams", "created_users"),
                                ddl<parser::alter_table_add>("ALTER TABLE x ADD dob int")));
    auto no_ks =
        *table_from(ddl<parser::create_table>("CREATE TABLE nope.t (a int PRIMARY KEY)"), "");
    EXPECT_EQ(c.create_table(no_ks, false).error().message, "Keyspace nope does not exist");
    EXPECT_FALSE(c.create_keyspace(
        ddl<parser::create_keyspace>("CREATE KEYSPACE system WITH replication = {'class': 'x'}")));
    EXPECT_GT(c.version(), 0u);
  }
  auto kv = std::move(*open_rocksdb(dir_, {}));
  auto c = std::move(*catalog::open(*kv));
  ASSERT_NE(c.keyspace("spark_streams"), nullptr);
  EXPECT_EQ(c.keyspace("spark_streams")->replication.size(), 2u);
  const table_schema* t = c.table("spark_streams", "created_users");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->id, users_id);
  EXPECT_EQ(t->columns.size(), 4u);
  EXPECT_EQ(t->find("phone")->type.name(), "text");
  EXPECT_EQ(c.table("spark_streams", "t"), nullptr);

  // A new table never reuses an id, even the dropped table's.
  auto next =
      *table_from(ddl<parser::create_table>("CREATE TABLE u (a int PRIMARY KEY)"), "spark_streams");
  ASSERT_TRUE(c.create_table(next, false));
  EXPECT_EQ(c.table("spark_streams", "u")->id, users_id + 2);

  auto dropped = *c.drop_keyspace("spark_streams", false);
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->size(), 2u);
  EXPECT_EQ(c.tables("spark_streams").size(), 0u);
  EXPECT_FALSE(*c.drop_keyspace("spark_streams", true));
}

// A round of changes is applied as if in the order given: several changes to one key keep
// their order, and a range deletion affects only what precedes it (rocks.cc sorts rounds of
// point changes by key before inserting them).
TEST_F(CatalogTest, AWriteActsInTheOrderOfItsChanges) {
  kv_options o;
  o.merge = [](std::optional<std::string_view> existing, std::span<const std::string_view> ops) {
    std::string v(existing.value_or(""));
    for (auto op : ops) v += op;
    return v;
  };
  auto kv = std::move(*open_rocksdb(dir_, std::move(o)));
  const std::vector<kv_change> round = {
      kv_change::put("m", "1"),   kv_change::merge("c", "x"), kv_change::erase("m"),
      kv_change::put("a", "1"),   kv_change::merge("c", "y"), kv_change::put("m", "2"),
      kv_change::merge("c", "z"), kv_change::put("b", "1"),   kv_change::put("a", "2")};
  ASSERT_TRUE(kv->write(round));
  EXPECT_EQ(**kv->get("m"), "2");
  EXPECT_EQ(**kv->get("a"), "2");
  EXPECT_EQ(**kv->get("c"), "xyz");
  ASSERT_TRUE(kv->write(std::vector<kv_change>{
      kv_change::put("p", "old"), kv_change::erase_range("a", "q"), kv_change::put("n", "new")}));
  EXPECT_FALSE(*kv->get("p"));
  EXPECT_FALSE(*kv->get("a"));
  EXPECT_EQ(**kv->get("n"), "new");
}

}  // namespace
}  // namespace sluice::store
