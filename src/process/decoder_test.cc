#include "process/decoder.h"

#include <gtest/gtest.h>

#include "cql/values.h"

namespace sluice::process {
namespace {

cql::data_type type(std::string_view name) { return *cql::data_type::parse(name); }

std::string text_of(const cql::value& v) { return std::string(v.bytes->begin(), v.bytes->end()); }

constexpr std::string_view reference_record =
    R"({"id":"0b6f1c4e-6d0e-4d8a-9f0a-3d2f8c1b7a11","first_name":"Léa","last_name":"Roux",)"
    R"("gender":"female","address":"12 rue de la Paix, Lyon, Rhône, France","post_code":69001,)"
    R"("email":"lea.roux@example.com","username":"bluebird123","dob":"1990-04-01T10:00:00.000Z",)"
    R"("registered_date":"2015-06-01T08:00:00.000Z","phone":"04-12-34-56-78",)"
    R"("picture":"https://randomuser.me/api/portraits/med/women/1.jpg"})";

TEST(Decoder, TheReferenceRecordBecomesTheReferenceRow) {
  auto d = decoder::compile(reference_schema());
  ASSERT_TRUE(d) << d.error().message;
  std::vector<cql::value> row;
  rejection why;
  std::vector<std::string> extras;
  ASSERT_EQ(d->decode(reference_record, row, why, &extras), outcome::row) << why.reason;
  ASSERT_EQ(row.size(), 12u);
  EXPECT_EQ(cql::format_uuid(*cql::decode_uuid(*row[0].bytes)),
            "0b6f1c4e-6d0e-4d8a-9f0a-3d2f8c1b7a11");
  EXPECT_EQ(text_of(row[1]), "Léa");
  EXPECT_EQ(text_of(row[5]), "69001");  // the numeric postcode as text
  EXPECT_EQ(text_of(row[8]), "1990-04-01T10:00:00.000Z");
  EXPECT_TRUE(extras.empty());
  EXPECT_EQ(d->insert("spark_streams", "created_users"),
            "INSERT INTO spark_streams.created_users (id, first_name, last_name, gender, address, "
            "post_code, email, username, dob, registered_date, phone, picture) VALUES (?, ?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?)");
  EXPECT_EQ(d->create_table("spark_streams", "created_users"),
            "CREATE TABLE IF NOT EXISTS spark_streams.created_users (id uuid, first_name text, "
            "last_name text, gender text, address text, post_code text, email text, username "
            "text, dob text, registered_date text, phone text, picture text, PRIMARY KEY ((id)))");
}

TEST(Decoder, PoisonRecordsAreRejectedWithReasons) {
  auto d = decoder::compile(reference_schema());
  ASSERT_TRUE(d);
  std::vector<cql::value> row;
  rejection why;
  EXPECT_EQ(d->decode("{not json", row, why), outcome::rejected);
  EXPECT_EQ(why.kind, reject_kind::invalid_json);
  EXPECT_EQ(d->decode("[1,2]", row, why), outcome::rejected);
  EXPECT_EQ(why.kind, reject_kind::not_an_object);
  EXPECT_EQ(d->decode(R"({"first_name":"x"})", row, why), outcome::rejected);
  EXPECT_EQ(why.kind, reject_kind::missing_field);
  EXPECT_EQ(why.reason, "required field 'id' is missing");
  EXPECT_EQ(d->decode(R"({"id":null})", row, why), outcome::rejected);
  EXPECT_EQ(why.reason, "required field 'id' is null");
  EXPECT_EQ(d->decode(R"({"id":"not-a-uuid"})", row, why), outcome::rejected);
  EXPECT_EQ(why.kind, reject_kind::wrong_type);
  EXPECT_EQ(why.reason, "field 'id' (column id uuid): 'not-a-uuid' is not a UUID");
  EXPECT_EQ(d->decode(R"({"id":"0b6f1c4e-6d0e-4d8a-9f0a-3d2f8c1b7a11","email":{"a":1}})", row, why),
            outcome::rejected);
  EXPECT_EQ(why.reason, "field 'email' (column email text): expected text, found an object");
}

TEST(Decoder, AbsentOptionalFieldsAreUnsetAndNullIsNull) {
  auto d = decoder::compile(reference_schema());
  ASSERT_TRUE(d);
  std::vector<cql::value> row;
  rejection why;
  ASSERT_EQ(d->decode(R"({"id":"0b6f1c4e-6d0e-4d8a-9f0a-3d2f8c1b7a11","gender":null})", row, why),
            outcome::row);
  EXPECT_TRUE(row[1].unset);
  EXPECT_FALSE(row[3].unset);
  EXPECT_FALSE(row[3].bytes.has_value());
}

TEST(Decoder, ExtraFieldsAreReportedOrRejected) {
  record_schema s;
  s.columns = {{"id", type("int"), "", true}};
  s.partition_key = {"id"};
  auto d = decoder::compile(s);
  ASSERT_TRUE(d);
  std::vector<cql::value> row;
  rejection why;
  std::vector<std::string> extras;
  ASSERT_EQ(d->decode(R"({"id":1,"dob":"x","nat":"FR"})", row, why, &extras), outcome::row);
  EXPECT_EQ(extras, (std::vector<std::string>{"dob", "nat"}));
  s.extra = extra_fields::dead_letter;
  auto strict = decoder::compile(s);
  ASSERT_EQ(strict->decode(R"({"id":1,"dob":"x"})", row, why), outcome::rejected);
  EXPECT_EQ(why.kind, reject_kind::extra_field);
  EXPECT_EQ(why.reason, "the record has fields the schema does not read: dob");
}

TEST(Decoder, FieldPathsAndCoercions) {
  record_schema s;
  s.columns = {
      {"k", type("bigint"), "user.id", true},
      {"city", type("text"), "location.city", false},
      {"n", type("int"), "", false},
      {"score", type("double"), "", false},
      {"ok", type("boolean"), "", false},
      {"at", type("timestamp"), "", false},
      {"day", type("date"), "", false},
      {"ip", type("inet"), "", false},
      {"tags", type("set<text>"), "", false},
      {"m", type("map<text, int>"), "", false},
      {"first", type("text"), "names.0", false},
      {"b", type("blob"), "", false},
  };
  s.partition_key = {"k"};
  auto d = decoder::compile(s);
  ASSERT_TRUE(d) << d.error().message;
  std::vector<cql::value> row;
  rejection why;
  ASSERT_EQ(d->decode(R"({"user":{"id":"42"},"location":{"city":"Oslo"},"n":7,"score":"2.5",)"
                      R"("ok":"true","at":"2024-01-31T12:00:00Z","day":"2024-02-29",)"
                      R"("ip":"10.0.0.1","tags":["b","a"],"m":{"x":1},"names":["Ann","Bo"],)"
                      R"("b":"0xcafe"})",
                      row, why),
            outcome::row)
      << why.reason;
  EXPECT_EQ(*cql::decode_bigint(*row[0].bytes), 42);
  EXPECT_EQ(text_of(row[1]), "Oslo");
  EXPECT_EQ(*cql::decode_int(*row[2].bytes), 7);
  EXPECT_EQ(*cql::decode_double(*row[3].bytes), 2.5);
  EXPECT_TRUE(*cql::decode_boolean(*row[4].bytes));
  EXPECT_EQ(*cql::decode_timestamp(*row[5].bytes), 1706702400000);
  EXPECT_EQ(*cql::decode_date(*row[6].bytes), 19782);
  EXPECT_EQ(row[7].bytes->size(), 4u);
  EXPECT_EQ(cql::decode_set(*row[8].bytes)->size(), 2u);
  EXPECT_EQ(cql::decode_map(*row[9].bytes)->size(), 1u);
  EXPECT_EQ(text_of(row[10]), "Ann");
  EXPECT_EQ(*row[11].bytes, (std::vector<uint8_t>{0xca, 0xfe}));

  EXPECT_EQ(d->decode(R"({"user":{"id":1},"n":3000000000})", row, why), outcome::rejected);
  EXPECT_EQ(why.reason, "field 'n' (column n int): 3000000000 is out of range for int");
  EXPECT_EQ(d->decode(R"({"user":{"id":1},"day":"2023-02-29"})", row, why), outcome::rejected);
  EXPECT_EQ(d->decode(R"({"user":{"id":1},"tags":["a",null]})", row, why), outcome::rejected);
  EXPECT_EQ(why.reason, "field 'tags' (column tags set<text>): element 1 is null");
}

TEST(Decoder, FilterKeepsOnlyMatchingRecords) {
  record_schema s = reference_schema();
  s.filter = {{"gender", filter_op::eq, "female"}, {"age", filter_op::ge, "18"}};
  s.extra = extra_fields::ignore;
  auto d = decoder::compile(s);
  ASSERT_TRUE(d);
  std::vector<cql::value> row;
  rejection why;
  const std::string id = R"("id":"0b6f1c4e-6d0e-4d8a-9f0a-3d2f8c1b7a11")";
  EXPECT_EQ(d->decode("{" + id + R"(,"gender":"female","age":30})", row, why), outcome::row);
  EXPECT_EQ(d->decode("{" + id + R"(,"gender":"male","age":30})", row, why), outcome::filtered);
  EXPECT_EQ(d->decode("{" + id + R"(,"gender":"female","age":17})", row, why), outcome::filtered);
  EXPECT_EQ(d->decode("{" + id + R"(,"gender":"female"})", row, why), outcome::filtered);
}

TEST(Decoder, BadSchemasAreRefusedWithReasons) {
  record_schema s;
  EXPECT_FALSE(decoder::compile(s));
  s.columns = {{"a", type("int"), "", false}, {"a", type("int"), "", false}};
  s.partition_key = {"a"};
  EXPECT_EQ(decoder::compile(s).error().message, "column 'a' is declared twice");
  s.columns = {{"a", type("list<int>"), "", false}};
  EXPECT_EQ(decoder::compile(s).error().message,
            "partition key column 'a' cannot be a collection (list<int>)");
  s.columns = {{"a", type("int"), "", false}};
  s.partition_key = {"b"};
  EXPECT_EQ(decoder::compile(s).error().message,
            "partition key column 'b' is not one of the columns");
  s.partition_key = {};
  EXPECT_EQ(decoder::compile(s).error().message, "the schema needs a partition key");
}

TEST(Decoder, IdentifiersAreQuotedWhenNeeded) {
  EXPECT_EQ(quote_identifier("created_users"), "created_users");
  EXPECT_EQ(quote_identifier("CreatedUsers"), "\"CreatedUsers\"");
  EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace sluice::process
