#include "parser/parser.h"

#include <gtest/gtest.h>

#include "parser/lexer.h"

namespace sluice::parser {
namespace {

template <class T>
T parsed(std::string_view text) {
  auto s = parse(text);
  EXPECT_TRUE(s) << text << ": " << (s ? "" : s.error().message);
  if (!s) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(s->body)) << text;
  return std::holds_alternative<T>(s->body) ? std::get<T>(s->body) : T{};
}

std::string syntax_error(std::string_view text) {
  auto s = parse(text);
  EXPECT_FALSE(s) << text;
  return s ? "" : s.error().message;
}

TEST(Lexer, TokensAndPositions) {
  auto t = *tokenize(
      "SELECT \"MyCol\", x FROM t -- comment\nWHERE k = 'it''s' AND u = "
      "123e4567-e89b-12d3-a456-426614174000 AND b = 0xCAFE AND f = -1.5e3 /* c */;");
  EXPECT_TRUE(t[0].is_keyword("select"));
  EXPECT_EQ(t[1].text, "MyCol");
  EXPECT_TRUE(t[1].quoted);
  EXPECT_EQ(t[6].line, 2);
  EXPECT_EQ(t[6].column, 1);
  EXPECT_EQ(t[9].kind, token_kind::string);
  EXPECT_EQ(t[9].text, "it's");
  EXPECT_EQ(t[13].kind, token_kind::uuid);
  EXPECT_EQ(t[17].kind, token_kind::blob);
  EXPECT_EQ(t[21].kind, token_kind::floating);
  EXPECT_EQ(t[21].text, "-1.5e3");
  EXPECT_FALSE(tokenize("SELECT 'open"));
  EXPECT_FALSE(tokenize("SELECT /* open"));
  EXPECT_FALSE(tokenize("SELECT 12abc"));
  EXPECT_FALSE(tokenize("SELECT #"));
}

TEST(Parser, TheReferencePipelineSchema) {
  auto ks = parsed<create_keyspace>(
      "CREATE KEYSPACE IF NOT EXISTS spark_streams\n"
      "  WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'};");
  EXPECT_EQ(ks.name, "spark_streams");
  EXPECT_TRUE(ks.if_not_exists);
  ASSERT_EQ(ks.replication.size(), 2u);
  EXPECT_EQ(ks.replication[1], (std::pair<std::string, std::string>{"replication_factor", "1"}));

  auto t = parsed<create_table>(
      "CREATE TABLE IF NOT EXISTS spark_streams.created_users (\n"
      "  id UUID PRIMARY KEY, first_name TEXT, last_name TEXT, gender TEXT, address TEXT,\n"
      "  post_code TEXT, email TEXT, username TEXT, dob TEXT, registered_date TEXT, phone TEXT, "
      "picture TEXT);");
  EXPECT_EQ(t.table.keyspace, "spark_streams");
  EXPECT_EQ(t.table.name, "created_users");
  EXPECT_EQ(t.columns.size(), 12u);
  EXPECT_EQ(t.partition_key, std::vector<std::string>{"id"});
  EXPECT_EQ(t.columns[0].type, "uuid") << "unquoted names and types fold to lower case";
}

TEST(Parser, CompositeKeysAndClusteringOrder) {
  auto t = parsed<create_table>(
      "create table m.events (tenant text, day date, at timestamp, seq int, tags set<text>, "
      "attrs map<text, frozen<list<int>>>, owner text static, "
      "PRIMARY KEY ((tenant, day), at, seq)) WITH CLUSTERING ORDER BY (at DESC, seq ASC) "
      "AND comment = 'x' AND compaction = {'class': 'LeveledCompactionStrategy'}");
  EXPECT_EQ(t.partition_key, (std::vector<std::string>{"tenant", "day"}));
  EXPECT_EQ(t.clustering, (std::vector<std::string>{"at", "seq"}));
  ASSERT_EQ(t.clustering_order.size(), 2u);
  EXPECT_TRUE(t.clustering_order[0].second);
  EXPECT_FALSE(t.clustering_order[1].second);
  EXPECT_EQ(t.columns[5].type, "map<text, frozen<list<int>>>");
  EXPECT_TRUE(t.columns[6].is_static);
  EXPECT_EQ(t.options.size(), 2u);
  EXPECT_FALSE(parse("CREATE TABLE t (a int, b int)")) << "no primary key";
}

TEST(Parser, WritesWithBindMarkers) {
  auto s = *parse(
      "INSERT INTO ks.t (id, name, tags, attrs) VALUES (?, :name, {'a', 'b'}, "
      "{'k': 1}) IF NOT EXISTS USING TTL 86400 AND TIMESTAMP ?");
  const auto& i = std::get<insert>(s.body);
  EXPECT_EQ(s.bind_count, 3);
  EXPECT_EQ(s.bind_names, (std::vector<std::string>{"", "name", ""}));
  EXPECT_EQ(i.values[2].what, term::kind::set);
  EXPECT_EQ(i.values[3].what, term::kind::map);
  EXPECT_EQ(i.values[3].items.size(), 2u);
  EXPECT_TRUE(i.if_not_exists);
  EXPECT_EQ(i.using_.ttl->text, "86400");
  EXPECT_EQ(i.using_.timestamp->bind_index, 2);
  EXPECT_FALSE(parse("INSERT INTO t (a, b) VALUES (1)")) << "2 columns, 1 value";

  auto u = parsed<update>(
      "UPDATE t USING TTL 5 SET a = 1, l = l + [2], l = [0] + l, s = s - {'x'}, m['k'] = 'v' "
      "WHERE id = ? AND c >= 3 IF EXISTS");
  ASSERT_EQ(u.assignments.size(), 5u);
  EXPECT_EQ(u.assignments[1].what, assignment::kind::append);
  EXPECT_EQ(u.assignments[2].what, assignment::kind::prepend);
  EXPECT_EQ(u.assignments[3].what, assignment::kind::remove);
  EXPECT_EQ(u.assignments[4].key->text, "k");
  EXPECT_EQ(u.where[1].what, relation::op::ge);
  EXPECT_TRUE(u.if_exists);

  auto d = parsed<delete_>("DELETE a, b FROM ks.t USING TIMESTAMP 10 WHERE id IN (1, 2) AND c > 0");
  EXPECT_EQ(d.columns.size(), 2u);
  EXPECT_EQ(d.where[0].what, relation::op::in);
  EXPECT_EQ(d.where[0].values.size(), 2u);
  EXPECT_EQ(parsed<delete_>("DELETE FROM t WHERE id = 1").columns.size(), 0u);
}

TEST(Parser, Selects) {
  auto s = parsed<select>(
      "SELECT id, name AS n, COUNT(*), writetime(name), toJson(x) FROM ks.t WHERE id IN ? AND "
      "(a, b) > (1, 2) AND token(id) > token(?) ORDER BY a DESC PER PARTITION LIMIT 2 LIMIT 10 "
      "ALLOW FILTERING");
  ASSERT_EQ(s.selectors.size(), 5u);
  EXPECT_EQ(s.selectors[1].alias, "n");
  EXPECT_EQ(s.selectors[2].what, selector::kind::count_star);
  EXPECT_EQ(s.selectors[3].what, selector::kind::writetime);
  EXPECT_EQ(s.selectors[4].what, selector::kind::function);
  ASSERT_EQ(s.where.size(), 3u);
  EXPECT_EQ(s.where[0].values[0].what, term::kind::bind);
  EXPECT_EQ(s.where[1].columns.size(), 2u);
  EXPECT_TRUE(s.where[2].token);
  EXPECT_EQ(s.where[2].values[0].what, term::kind::function);
  EXPECT_TRUE(s.order_by[0].second);
  EXPECT_EQ(s.per_partition_limit->text, "2");
  EXPECT_EQ(s.limit->text, "10");
  EXPECT_TRUE(s.allow_filtering);

  auto local = parsed<select>("SELECT * FROM system.local WHERE key='local'");
  EXPECT_TRUE(local.star);
  EXPECT_EQ(local.where[0].columns[0], "key") << "keywords stay usable as names";
  EXPECT_EQ(parsed<select>("select count(1) from t").selectors[0].what, selector::kind::count_star);
}

TEST(Parser, BatchesAndOtherStatements) {
  auto b = parsed<batch>(
      "BEGIN UNLOGGED BATCH USING TIMESTAMP 5\n"
      "  INSERT INTO t (a) VALUES (1);\n"
      "  UPDATE t SET b = 2 WHERE a = 1;\n"
      "  DELETE FROM t WHERE a = 3;\n"
      "APPLY BATCH;");
  EXPECT_EQ(b.what, batch::kind::unlogged);
  EXPECT_EQ(b.statements.size(), 3u);
  EXPECT_EQ(parsed<use_keyspace>("USE \"MyKs\"").name, "MyKs");
  EXPECT_TRUE(parsed<drop_table>("DROP TABLE IF EXISTS ks.t").if_exists);
  EXPECT_EQ(parsed<drop_keyspace>("drop keyspace k").name, "k");
  EXPECT_EQ(parsed<truncate_table>("TRUNCATE TABLE ks.t").table.name, "t");
  auto a = parsed<alter_table_add>("ALTER TABLE t ADD (x int, y list<text>)");
  EXPECT_EQ(a.columns.size(), 2u);
  EXPECT_EQ(a.columns[1].type, "list<text>");
  EXPECT_EQ(parsed<alter_table_add>("ALTER TABLE t ADD phone text").columns[0].type, "text");
  EXPECT_EQ(parsed<alter_table_add>("ALTER TABLE t ADD m map<text, int>;").columns[0].type,
            "map<text, int>");
  EXPECT_FALSE(parse("ALTER TABLE t ADD m map<text, int")) << "an unclosed type";
}

TEST(Parser, SyntaxErrorsSayWhereAndWhat) {
  EXPECT_EQ(syntax_error("SELECT * FRM t"), "line 1:10 expected FROM, found 'frm'");
  EXPECT_EQ(syntax_error("SELEC * FROM t").substr(0, 21), "line 1:1 expected a s");
  EXPECT_EQ(syntax_error("SELECT * FROM t\nWHERE a = "),
            "line 2:11 expected a value, found "
            "the end of the statement");
  EXPECT_EQ(syntax_error("SELECT * FROM t; x"),
            "line 1:18 expected the end of the statement, found 'x'");
  EXPECT_FALSE(parse("UPDATE t SET a = 1 WHERE b = 2 IF a = 1")) << "no lightweight transactions";
  EXPECT_FALSE(parse(""));
  EXPECT_TRUE(
      parse("INSERT INTO t (a) VALUES (" + std::string(20, '[') + std::string(20, ']') + ")"));
  EXPECT_FALSE(parse("INSERT INTO t (a) VALUES (" + std::string(100000, '[') + ")"))
      << "nesting is bounded, not a stack overflow";
}

}  // namespace
}  // namespace sluice::parser
