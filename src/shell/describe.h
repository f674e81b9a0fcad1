// DESCRIBE, answered from system_schema as cqlsh does, so it works against sluice's store and
// against Cassandra or ScyllaDB alike:
//   DESCRIBE KEYSPACES               the keyspace names
//   DESCRIBE TABLES                  the tables of the current keyspace (or of every keyspace)
//   DESCRIBE KEYSPACE [k]            CREATE KEYSPACE and CREATE TABLE statements
//   DESCRIBE [TABLE] [k.]t           the CREATE TABLE statement that recreates the table
// The CQL printed is valid input: run it and the schema is back.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "cql/client.h"

namespace sluice::shell {

result<std::string> describe(cql::session& s, std::string_view command,
                             const std::string& current_keyspace);

// A name as CQL needs it written: bare when it is lower case letters, digits and underscores
// (not a keyword), else double-quoted.
std::string quote_name(std::string_view name);

}  // namespace sluice::shell
