// CQL native protocol v4 message bodies, both directions, so that the store (which decodes
// requests and encodes responses) and the client (the reverse) share one codec. Each message is a
// plain struct with a decode_*() from a body and an encode() into one. Decoders are bounded by the
// body and reject bytes left over; views point into the body they were decoded from.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "cql/protocol.h"
#include "cql/types.h"
#include "cql/wire.h"

namespace sluice::cql {

// --- requests
// -------------------------------------------------------------------------------------

struct startup_request {
  wire::string_map options;  // CQL_VERSION (required), COMPRESSION, ...
};
result<startup_request> decode_startup(bytes_view body);
void encode(byte_writer& w, const startup_request& m);

struct register_request {
  std::vector<std::string> events;  // TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE
};
result<register_request> decode_register(bytes_view body);
void encode(byte_writer& w, const register_request& m);

struct auth_response_request {
  std::optional<bytes_view> token;  // PasswordAuthenticator: "\0user\0password"
};
result<auth_response_request> decode_auth_response(bytes_view body);
void encode(byte_writer& w, const auth_response_request& m);

// The parameters QUERY and EXECUTE share.
struct query_parameters {
  consistency level = consistency::one;
  std::vector<wire::value> values;
  std::vector<std::string> names;  // when values are bound by name (`:name`); else empty
  bool skip_metadata = false;
  int32_t page_size = -1;  // <= 0: no paging
  std::optional<bytes_view> paging_state;
  std::optional<consistency> serial_level;
  std::optional<int64_t> timestamp;  // microseconds; the client's default write timestamp
};

struct query_request {
  std::string_view query;
  query_parameters params;
};
result<query_request> decode_query(bytes_view body);
void encode(byte_writer& w, const query_request& m);

struct prepare_request {
  std::string_view query;
};
result<prepare_request> decode_prepare(bytes_view body);
void encode(byte_writer& w, const prepare_request& m);

struct execute_request {
  bytes_view id;
  query_parameters params;
};
result<execute_request> decode_execute(bytes_view body);
void encode(byte_writer& w, const execute_request& m);

enum class batch_type : uint8_t { logged = 0, unlogged = 1, counter = 2 };

struct batch_request {
  struct statement {
    bool prepared = false;
    std::string_view query;  // when not prepared
    bytes_view id;           // when prepared
    std::vector<wire::value> values;
  };
  batch_type type = batch_type::logged;
  std::vector<statement> statements;
  consistency level = consistency::one;
  std::optional<consistency> serial_level;
  std::optional<int64_t> timestamp;
};
result<batch_request> decode_batch(bytes_view body);
void encode(byte_writer& w, const batch_request& m);

// --- responses
// ------------------------------------------------------------------------------------

struct error_response {
  error_code code = error_code::server_error;
  std::string message;
  // ALREADY_EXISTS: the keyspace, and the table (empty for a keyspace).
  std::string keyspace;
  std::string table;
  std::vector<uint8_t> unprepared_id;  // UNPREPARED: the unknown statement id
};
result<error_response> decode_error(bytes_view body);
void encode(byte_writer& w, const error_response& m);

struct supported_response {
  wire::string_multimap options;  // CQL_VERSION and COMPRESSION at least
};
result<supported_response> decode_supported(bytes_view body);
void encode(byte_writer& w, const supported_response& m);

struct authenticate_response {
  std::string authenticator;
};
void encode(byte_writer& w, const authenticate_response& m);

struct column_spec {
  std::string keyspace;
  std::string table;
  std::string name;
  data_type type;
  bool operator==(const column_spec&) const = default;
};

// Rows metadata (and a prepared statement's result metadata).
struct rows_metadata {
  std::vector<column_spec> columns;
  std::optional<std::vector<uint8_t>> paging_state;  // more pages: pass it back to continue
  bool no_metadata = false;  // the client asked to skip it: only the column count is sent
  int32_t column_count = 0;  // with no_metadata
};

struct rows_result {
  rows_metadata metadata;
  // Cells row by row, metadata.columns.size() (or column_count) per row; nullopt is null.
  std::vector<std::optional<std::vector<uint8_t>>> cells;
  int32_t row_count = 0;
};

struct prepared_result {
  std::vector<uint8_t> id;
  std::vector<column_spec> bound;               // the bind markers, in order
  std::vector<uint16_t> partition_key_indexes;  // which markers bind the partition key
  rows_metadata result;                         // columns of the rows it returns (none for writes)
};

struct schema_change {
  std::string change;  // CREATED, UPDATED, DROPPED
  std::string target;  // KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
  std::string keyspace;
  std::string name;  // the table or type; empty for KEYSPACE
  bool operator==(const schema_change&) const = default;
};

struct result_response {
  result_kind kind = result_kind::void_;
  std::string keyspace;  // set_keyspace
  rows_result rows;
  prepared_result prepared;
  schema_change change;
};
result<result_response> decode_result(bytes_view body);
void encode(byte_writer& w, const result_response& m);

// EVENT "SCHEMA_CHANGE" (sent to connections that REGISTERed for it).
void encode_schema_event(byte_writer& w, const schema_change& c);

}  // namespace sluice::cql
