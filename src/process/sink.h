// The stream processor's side of the table: one CQL session (sluice's client, so the same code
// writes to sluice's store, Cassandra or ScyllaDB), the keyspace and table created from the record
// schema when missing, the table's columns checked against the schema (a column the table lacks or
// types that differ stop the processor at start with the fix to apply, rather than dropping data),
// and the prepared INSERT that every row goes through: pipelined, with at most `max_in_flight`
// writes unanswered (write() blocks beyond that).
// Thread-safety: write() may be called from any thread; callbacks run on the client's thread.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "cql/client.h"
#include "process/decoder.h"

namespace sluice::process {

struct sink_options {
  cql::client_options client;
  std::string keyspace = "spark_streams";
  std::string table = "created_users";
  std::string replication = "{'class': 'SimpleStrategy', 'replication_factor': '1'}";
};

class sink {
 public:
  static result<std::unique_ptr<sink>> open(sink_options o, const decoder& d);

  // Upserts one row (values in schema order); `done` runs when the node answered or gave up.
  void write(std::vector<cql::value> row, cql::callback done);
  [[nodiscard]] size_t outstanding() const { return session_->outstanding(); }
  [[nodiscard]] const std::string& insert_statement() const { return insert_->query; }

 private:
  sink(std::unique_ptr<cql::session> s, std::shared_ptr<const cql::prepared> insert)
      : session_(std::move(s)), insert_(std::move(insert)) {}
  std::unique_ptr<cql::session> session_;
  std::shared_ptr<const cql::prepared> insert_;
};

// Whether a failed write may succeed if tried again (the node is restarting, overloaded or slow),
// as opposed to a row the table refuses (which goes to the dead-letter topic).
bool transient(const error& e);

}  // namespace sluice::process
