// How a Kafka record becomes a row of the sink table: the record's JSON is decoded against a
// declared schema (each column's CQL type, where its value is in the record, whether it is
// required), coerced where the schema allows it (a numeric postcode into text, "42" into an int),
// filtered, and serialized as the bound values of the sink's INSERT, one per column in schema
// order. A record that cannot become a row is rejected with a kind and a reason that name the
// field and what was wrong, for the dead-letter topic; a record is never silently cut short.
//
// Values: JSON null is a CQL null; an absent optional field is left unset (the row keeps what it
// had). Coercions: text takes strings, and numbers and booleans as their JSON text; integer types
// take integers in range or strings of one; float/double/decimal take numbers or numeric strings;
// boolean takes true/false or "true"/"false"; uuid/timeuuid, inet, date, time take their strings;
// timestamp takes milliseconds or Cassandra's date-time strings (ISO-8601 included); blob takes
// "0x" hex; list/set take arrays, map takes an object (keys coerced from their text).
//
// Compiled once. decode() is not thread-safe (it reuses one JSON parser's buffers); use one
// decoder per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cql/client.h"
#include "cql/types.h"

namespace sluice::process {

enum class errc {
  ok = 0,
  bad_schema,      // a schema that cannot be compiled (unknown type, duplicate column, ...)
  no_table_store,  // no contact point of the table store could be reached
};
std::string_view describe(errc e);
std::string_view category_name(errc);

struct column {
  std::string name;       // the table's column
  cql::data_type type;    // its CQL type
  std::string field;      // dot-separated path to its value in the record; empty: `name`
  bool required = false;  // absent or null: the record is rejected (key columns always are)
};

enum class filter_op { eq, ne, lt, le, gt, ge, exists, missing };

// One condition of the filter: a record is written only when every condition holds. Numbers
// compare as numbers (the value is parsed as one), strings as bytes, booleans as true/false;
// `exists` means present and not null.
struct condition {
  std::string field;
  filter_op op = filter_op::eq;
  std::string value;
};

// What to do with a record's top-level fields that no column reads (the classic stack dropped
// `dob` this way without a word).
enum class extra_fields {
  report,       // write the row; count such records and log each new field name once
  dead_letter,  // reject the record
  ignore,
};

struct record_schema {
  std::vector<column> columns;
  std::vector<std::string> partition_key;   // column names
  std::vector<std::string> clustering_key;  // column names, ascending
  std::vector<condition> filter;
  extra_fields extra = extra_fields::report;
};

// The reference pipeline's record and table (spark_streams.created_users): id uuid primary key,
// then first_name, last_name, gender, address, post_code, email, username, dob, registered_date,
// phone, picture as text.
record_schema reference_schema();

enum class reject_kind { invalid_json, not_an_object, missing_field, wrong_type, extra_field };
std::string_view name(reject_kind k);

struct rejection {
  reject_kind kind = reject_kind::invalid_json;
  std::string reason;
};

enum class outcome { row, filtered, rejected };

class decoder {
 public:
  static result<decoder> compile(record_schema schema);

  // Decodes one record. On outcome::row, `row` holds one value per column; on rejected, `why`
  // says why. `extras` (when not null) receives the record's unread top-level field names.
  outcome decode(std::string_view json, std::vector<cql::value>& row, rejection& why,
                 std::vector<std::string>* extras = nullptr);

  [[nodiscard]] const record_schema& schema() const;
  // CREATE TABLE IF NOT EXISTS for the schema, and the INSERT whose markers are the columns.
  [[nodiscard]] std::string create_table(std::string_view keyspace, std::string_view table) const;
  [[nodiscard]] std::string insert(std::string_view keyspace, std::string_view table) const;

  decoder(decoder&&) noexcept;
  decoder& operator=(decoder&&) noexcept;
  ~decoder();

  struct impl;

 private:
  explicit decoder(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

// A CQL identifier as written in statements: bare when it is lower-case [a-z][a-z0-9_]*, else
// double-quoted.
std::string quote_identifier(std::string_view name);

}  // namespace sluice::process
