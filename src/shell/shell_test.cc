// The shell's pure parts: statement splitting and result rendering.
#include <gtest/gtest.h>

#include <sstream>

#include "cql/values.h"
#include "shell/describe.h"
#include "shell/output.h"
#include "shell/splitter.h"

namespace sluice::shell {
namespace {

std::vector<std::string> split(std::initializer_list<std::string_view> lines) {
  statement_splitter s;
  for (auto l : lines) s.feed(l);
  return s.finish();
}

TEST(Splitter, StatementsEndAtSemicolonsOutsideQuotesAndComments) {
  EXPECT_EQ(split({"SELECT 1; SELECT 2;"}), (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(split({"INSERT INTO t (a) VALUES ('x;y''s');"}),
            (std::vector<std::string>{"INSERT INTO t (a) VALUES ('x;y''s')"}));
  EXPECT_EQ(split({"SELECT \"a;b\" FROM t -- a comment; not a statement", "WHERE k = 1;"}),
            (std::vector<std::string>{"SELECT \"a;b\" FROM t \nWHERE k = 1"}));
  EXPECT_EQ(split({"/* a; b */ SELECT 1; // trailing;"}), (std::vector<std::string>{"SELECT 1"}));
  EXPECT_EQ(split({"SELECT $$a;b$$;"}), (std::vector<std::string>{"SELECT $$a;b$$"}));
  EXPECT_EQ(split({"SELECT 1"}), (std::vector<std::string>{"SELECT 1"}));  // finish() keeps it
  EXPECT_EQ(
      split({"BEGIN BATCH INSERT INTO t (k) VALUES (1);", "INSERT INTO t (k) VALUES (2);",
             "apply  BATCH; SELECT 1;"}),
      (std::vector<std::string>{"BEGIN BATCH INSERT INTO t (k) VALUES (1);\nINSERT INTO t (k) "
                                "VALUES (2);\napply  BATCH",
                                "SELECT 1"}));
}

TEST(Splitter, ShellCommandsEndWithTheirLine) {
  statement_splitter s;
  s.feed("DESCRIBE KEYSPACES");
  EXPECT_EQ(s.take(), (std::vector<std::string>{"DESCRIBE KEYSPACES"}));
  s.feed("SELECT *");
  EXPECT_TRUE(s.pending());
  EXPECT_TRUE(s.take().empty());
  s.feed("FROM t;");
  EXPECT_EQ(s.take(), (std::vector<std::string>{"SELECT *\nFROM t"}));
  EXPECT_FALSE(s.pending());
  s.feed("exit");
  EXPECT_EQ(s.take(), (std::vector<std::string>{"exit"}));
}

cql::result_response sample() {
  cql::result_response r;
  r.kind = cql::result_kind::rows;
  auto col = [](std::string name, cql::type_id id, std::vector<cql::data_type> params = {}) {
    return cql::column_spec{"ks", "t", std::move(name), cql::data_type{id, std::move(params)}};
  };
  r.rows.metadata.columns = {col("id", cql::type_id::int_), col("name", cql::type_id::varchar),
                             col("tags", cql::type_id::set, {{cql::type_id::varchar, {}}})};
  r.rows.cells = {cql::encode_int(1),
                  cql::encode_text("ada, \"the\" first"),
                  cql::encode_set({cql::encode_text("a"), cql::encode_text("b")}),
                  cql::encode_int(22),
                  std::nullopt,
                  std::nullopt};
  r.rows.row_count = 2;
  return r;
}

TEST(Output, TableAlignsLikeCqlsh) {
  std::ostringstream out;
  print_rows(sample(), output_format::table, true, out);
  EXPECT_EQ(out.str(),
            " id | name             | tags\n"
            "----+------------------+------------\n"
            "  1 | ada, \"the\" first | {'a', 'b'}\n"
            " 22 |             null |       null\n");
}

TEST(Output, CsvQuotesWhatNeedsIt) {
  std::ostringstream out;
  print_rows(sample(), output_format::csv, true, out);
  EXPECT_EQ(out.str(),
            "id,name,tags\n"
            "1,\"ada, \"\"the\"\" first\",\"{'a', 'b'}\"\n"
            "22,,\n");
}

TEST(Output, JsonIsTyped) {
  std::ostringstream out;
  print_rows(sample(), output_format::json, true, out);
  EXPECT_EQ(out.str(),
            "{\"id\": 1, \"name\": \"ada, \\\"the\\\" first\", \"tags\": [\"a\", \"b\"]}\n"
            "{\"id\": 22, \"name\": null, \"tags\": null}\n");
}

TEST(Describe, NamesAreQuotedOnlyWhenNeeded) {
  EXPECT_EQ(quote_name("created_users"), "created_users");
  EXPECT_EQ(quote_name("Users"), "\"Users\"");
  EXPECT_EQ(quote_name("select"), "\"select\"");
  EXPECT_EQ(quote_name("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace sluice::shell
