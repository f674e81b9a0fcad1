#include "cql/messages.h"

#include <gtest/gtest.h>

namespace sluice::cql {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

template <class M>
std::vector<uint8_t> bytes_of(const M& m) {
  byte_writer w;
  encode(w, m);
  return {w.view().begin(), w.view().end()};
}

std::vector<uint8_t> copy(bytes_view b) { return {b.begin(), b.end()}; }

// Request bodies as the DataStax Python driver (cassandra.protocol, protocol v4) writes them.
constexpr std::string_view driver_query =
    "0000001e53454c454354202a2046524f4d206b732e74205748455245206b203d203f00063d0002000000040000"
    "0007ffffffff00000064000000020102000900060a24181e4000";
constexpr std::string_view driver_execute = "0002abcd0001050002000000026869ffffffff00001388";
constexpr std::string_view driver_batch =
    "010002000000001c494e5345525420494e544f2074202861292056414c55455320283f29000100000004000000"
    "0101000301020300010000000178000420000000000000002a";
constexpr std::string_view driver_startup = "0001000b43514c5f56455253494f4e0005332e302e30";

TEST(Messages, DecodesWhatTheDriverSends) {
  const auto q_bytes = hex(driver_query);
  auto q = decode_query(q_bytes);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->query, "SELECT * FROM ks.t WHERE k = ?");
  EXPECT_EQ(q->params.level, consistency::local_quorum);
  ASSERT_EQ(q->params.values.size(), 2u);
  EXPECT_EQ(copy(q->params.values[0].bytes), (std::vector<uint8_t>{0, 0, 0, 7}));
  EXPECT_EQ(q->params.values[1].what, wire::value::null);
  EXPECT_EQ(q->params.page_size, 100);
  EXPECT_EQ(copy(*q->params.paging_state), (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(q->params.serial_level, consistency::local_serial);
  EXPECT_EQ(q->params.timestamp, 1700000000000000);
  EXPECT_EQ(bytes_of(*q), q_bytes) << "re-encoded byte for byte";

  const auto e_bytes = hex(driver_execute);
  auto e = decode_execute(e_bytes);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(copy(e->id), (std::vector<uint8_t>{0xab, 0xcd}));
  EXPECT_EQ(e->params.page_size, 5000);
  EXPECT_EQ(bytes_of(*e), e_bytes);

  const auto b_bytes = hex(driver_batch);
  auto b = decode_batch(b_bytes);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->type, batch_type::unlogged);
  ASSERT_EQ(b->statements.size(), 2u);
  EXPECT_EQ(b->statements[0].query, "INSERT INTO t (a) VALUES (?)");
  EXPECT_TRUE(b->statements[1].prepared);
  EXPECT_EQ(copy(b->statements[1].id), (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(b->level, consistency::quorum);
  EXPECT_EQ(b->timestamp, 42);
  EXPECT_EQ(bytes_of(*b), b_bytes);

  const auto s_bytes = hex(driver_startup);
  auto s = decode_startup(s_bytes);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->options, (wire::string_map{{"CQL_VERSION", "3.0.0"}}));
}

TEST(Messages, NamedValuesRoundTrip) {
  query_request q;
  q.query = "INSERT INTO t (a, b) VALUES (:a, :b)";
  const std::vector<uint8_t> one = {0, 0, 0, 1};
  q.params.values = {{wire::value::set, one}, {wire::value::unset, {}}};
  q.params.names = {"a", "b"};
  const auto bytes = bytes_of(q);
  auto back = decode_query(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->params.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(back->params.values[1].what, wire::value::unset);
}

TEST(Messages, ResultsRoundTrip) {
  result_response rows;
  rows.kind = result_kind::rows;
  rows.rows.metadata.columns = {{"ks", "t", "k", *data_type::parse("int")},
                                {"ks", "t", "v", *data_type::parse("map<text, int>")}};
  rows.rows.metadata.paging_state = std::vector<uint8_t>{9, 9};
  rows.rows.row_count = 2;
  rows.rows.cells = {std::vector<uint8_t>{0, 0, 0, 1}, std::nullopt,
                     std::vector<uint8_t>{0, 0, 0, 2}, std::vector<uint8_t>{0, 0, 0, 0}};
  auto back = decode_result(bytes_of(rows));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->rows.metadata.columns, rows.rows.metadata.columns);
  EXPECT_EQ(back->rows.metadata.paging_state, rows.rows.metadata.paging_state);
  EXPECT_EQ(back->rows.cells, rows.rows.cells);

  result_response prepared;
  prepared.kind = result_kind::prepared;
  prepared.prepared.id = {1, 2, 3, 4};
  prepared.prepared.bound = {{"ks", "t", "k", *data_type::parse("uuid")},
                             {"ks", "other", "v", *data_type::parse("text")}};
  prepared.prepared.partition_key_indexes = {0};
  auto p = decode_result(bytes_of(prepared));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->prepared.id, prepared.prepared.id);
  EXPECT_EQ(p->prepared.bound, prepared.prepared.bound) << "per-column table specs";
  EXPECT_EQ(p->prepared.partition_key_indexes, std::vector<uint16_t>{0});
  EXPECT_TRUE(p->prepared.result.columns.empty());

  result_response change;
  change.kind = result_kind::schema_change;
  change.change = {"CREATED", "TABLE", "spark_streams", "created_users"};
  EXPECT_EQ(decode_result(bytes_of(change))->change, change.change);
  change.change = {"DROPPED", "KEYSPACE", "spark_streams", ""};
  EXPECT_EQ(decode_result(bytes_of(change))->change, change.change);

  result_response ks;
  ks.kind = result_kind::set_keyspace;
  ks.keyspace = "spark_streams";
  EXPECT_EQ(decode_result(bytes_of(ks))->keyspace, "spark_streams");
}

TEST(Messages, ErrorsCarryTheirDetails) {
  error_response exists{error_code::already_exists, "Table ks.t already exists", "ks", "t", {}};
  auto e = decode_error(bytes_of(exists));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "Table ks.t already exists");
  EXPECT_EQ(e->table, "t");
  error_response unprepared{error_code::unprepared, "unknown", "", "", {7, 7}};
  EXPECT_EQ(decode_error(bytes_of(unprepared))->unprepared_id, (std::vector<uint8_t>{7, 7}));
}

TEST(Messages, BadBodiesAreRefused) {
  auto q = hex(driver_query);
  q.push_back(0);
  EXPECT_FALSE(decode_query(q)) << "a trailing byte";
  const auto cut = hex(driver_query.substr(0, 70));
  EXPECT_FALSE(decode_query(cut));
  const std::vector<uint8_t> batch_of_many = {0x00, 0xff, 0xff, 0x00};
  EXPECT_FALSE(decode_batch(batch_of_many));
  const std::vector<uint8_t> bad_batch_type = {0x07, 0x00, 0x00, 0x00, 0x01, 0x00};
  EXPECT_FALSE(decode_batch(bad_batch_type));
  const std::vector<uint8_t> many_rows = {0, 0, 0, 2, 0,    0,    0,    4,
                                          0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff};
  EXPECT_FALSE(decode_result(many_rows)) << "rows the body cannot hold";
  // No metadata, 0x2a000000 columns, 0x7fffffff rows: a product that overflows int64 if computed.
  const std::vector<uint8_t> huge_product = {0,    0, 0, 2, 0,    0,    0,    4,
                                             0x2a, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff};
  EXPECT_FALSE(decode_result(huge_product));
  const std::vector<uint8_t> negative_columns = {0,    0,    0,    2,    0, 0, 0, 4,
                                                 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  EXPECT_FALSE(decode_result(negative_columns));
  const std::vector<uint8_t> unknown_kind = {0, 0, 0, 9};
  EXPECT_FALSE(decode_result(unknown_kind));
}

}  // namespace
}  // namespace sluice::cql
