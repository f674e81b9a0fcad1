// sluice's CQL client: native protocol v4 to sluice's store or to Cassandra/ScyllaDB nodes.
//
// A session keeps a pool of connections (connections_per_host to each contact point), each with
// many requests in flight on its stream ids. Requests go to the ready connection with the fewest
// in flight. The fast path is the easy one: prepare once, then execute_async() with bound values;
// execute_async() blocks its caller while max_outstanding requests are unanswered, so a loop that
// calls it never queues without bound. execute() is the same, waited for.
//
// Behaviour a production client needs: STARTUP with optional lz4, PasswordAuthenticator, USE of
// the session keyspace on every connection, prepared statements re-prepared transparently when a
// node answers UNPREPARED (after its restart, say), per-request timeouts (a timed-out request's
// stream is not reused until its answer comes or the connection closes), reconnection with
// exponential backoff and jitter, client-side write timestamps, and paging. A server that does not
// speak v4 is reported with the versions it offered.
//
// Thread-safety: a session may be used from any number of threads. Callbacks run on the
// session's network thread and must not block; they may submit further requests.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cql/messages.h"
#include "cql/protocol.h"

namespace sluice::cql {

enum class client_errc {
  ok = 0,
  no_host,          // no contact point could be reached (or every connection is down)
  auth_failed,      // the server refused the credentials
  timeout,          // no answer within the request timeout
  connection_lost,  // the connection closed with the request unanswered
  server_error,     // the server answered with an ERROR (the message is the server's)
  overloaded,       // the client's own queue of unsent requests is full
  unsupported,      // the server speaks no protocol version this client does
  closed,           // the session is closing
};
std::string_view describe(client_errc e);
std::string_view category_name(client_errc);

// An ERROR answer carries the server's code, so callers can tell a syntax error from an invalid
// request: is(e, cql::error_code::syntax_error). Its message is the server's.
std::string_view describe(error_code e);
std::string_view category_name(error_code);

struct client_options {
  std::vector<std::string> contact_points{"127.0.0.1:9042"};  // host:port
  std::string username;                                       // empty: no authentication
  std::string password;
  std::string keyspace;  // USEd on every connection; empty: none
  consistency level = consistency::local_one;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{12000};
  int connections_per_host = 2;
  int max_streams_per_connection = 1024;  // requests in flight on one connection
  size_t max_outstanding = 4096;          // execute_async() blocks beyond this many unanswered
  bool lz4 = false;
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{10'000};
  bool client_timestamps = true;  // send each request's write timestamp (microseconds)
  int32_t page_size = 5000;       // default rows per page of a SELECT; <= 0: no paging
};

struct prepared {
  std::vector<uint8_t> id;
  std::string query;
  std::vector<column_spec> bound;  // the bind markers' columns and types
  rows_metadata result;            // the columns a SELECT returns
};

// A bound value: bytes, null (nullopt), or unset (v4: leave the column as it is).
struct value {
  std::optional<std::vector<uint8_t>> bytes;
  bool unset = false;
  static value null() { return {}; }
  static value not_set() { return {std::nullopt, true}; }
  static value of(std::vector<uint8_t> b) { return {std::move(b), false}; }
};

struct statement_options {
  std::optional<consistency> level;  // default: the session's
  std::optional<int32_t> page_size;  // default: the session's
  std::optional<std::vector<uint8_t>> paging_state;
  std::optional<int64_t> timestamp;  // default: now (with client_timestamps)
  std::optional<std::chrono::milliseconds> timeout;
};

// A result: rows (with their metadata and, when there are more pages, the paging state), or
// what another statement returned (void, set_keyspace, schema_change).
using result_set = result_response;

// A row's cell, for reading rows of a result_set.
inline const std::optional<std::vector<uint8_t>>& cell_at(const result_set& r, size_t row,
                                                          size_t column) {
  return r.rows.cells[row * r.rows.metadata.columns.size() + column];
}

using callback = std::function<void(result<result_set>)>;

class session {
 public:
  // Connects to the contact points; returns once one connection is ready (the others come up in
  // the background), or fails with every contact point's error.
  static result<std::unique_ptr<session>> connect(client_options options);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  result<std::shared_ptr<const prepared>> prepare(std::string_view query);

  result<result_set> execute(std::string_view query, std::vector<value> values = {},
                             const statement_options& o = {});
  result<result_set> execute(const std::shared_ptr<const prepared>& p, std::vector<value> values,
                             const statement_options& o = {});
  void execute_async(std::shared_ptr<const prepared> p, std::vector<value> values, callback done,
                     const statement_options& o = {});
  void execute_async(std::string query, std::vector<value> values, callback done,
                     const statement_options& o = {});

  // A logged (or unlogged) batch of prepared statements with their values.
  result<result_set> batch(
      std::vector<std::pair<std::shared_ptr<const prepared>, std::vector<value>>> statements,
      batch_type type = batch_type::logged, const statement_options& o = {});

  // Every page of a SELECT, one after the other: `page` returns false to stop early.
  result<void> for_each_page(std::string_view query, std::vector<value> values,
                             const std::function<bool(const result_set&)>& page,
                             statement_options o = {});

  // Requests sent and not yet answered.
  [[nodiscard]] size_t outstanding() const;
  // Connections ready to take requests.
  [[nodiscard]] size_t ready_connections() const;

  struct impl;

 private:
  explicit session(std::shared_ptr<impl> i);
  std::shared_ptr<impl> impl_;
};

}  // namespace sluice::cql
