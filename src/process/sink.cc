#include "process/sink.h"

#include <map>

#include <fmt/format.h>

#include "cql/values.h"

namespace sluice::process {

namespace {

// The table's columns and their types, from system_schema (as Cassandra and sluice's store have
// it).
result<std::map<std::string, std::string>> table_columns(cql::session& s, const sink_options& o) {
  std::map<std::string, std::string> out;
  SLUICE_TRY(s.for_each_page(
      "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND "
      "table_name = ?",
      {cql::value::of(cql::encode_text(o.keyspace)), cql::value::of(cql::encode_text(o.table))},
      [&](const cql::result_set& r) {
        for (size_t i = 0; i < static_cast<size_t>(r.rows.row_count); ++i) {
          const auto& name = cql::cell_at(r, i, 0);
          const auto& type = cql::cell_at(r, i, 1);
          if (!name || !type) continue;
          out.emplace(std::string(name->begin(), name->end()),
                      std::string(type->begin(), type->end()));
        }
        return true;
      }));
  return out;
}

}  // namespace

result<std::unique_ptr<sink>> sink::open(sink_options o, const decoder& d) {
  auto connected = cql::session::connect(o.client);
  if (!connected) {
    std::string hosts;
    for (const auto& h : o.client.contact_points) hosts += (hosts.empty() ? "" : ",") + h;
    return make_error(errc::no_table_store, fmt::format("cannot reach the table store at {}: {}",
                                                        hosts, connected.error().message));
  }
  auto session = std::move(*connected);
  SLUICE_TRY(session->execute(fmt::format("CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {}",
                                          quote_identifier(o.keyspace), o.replication)));
  SLUICE_TRY(session->execute(d.create_table(o.keyspace, o.table)));
  const auto columns = SLUICE_TRY(table_columns(*session, o));
  std::string problems;
  for (const auto& c : d.schema().columns) {
    auto it = columns.find(c.name);
    if (it == columns.end()) {
      problems += fmt::format("\n  table {}.{} has no column {} (ALTER TABLE {}.{} ADD {} {})",
                              o.keyspace, o.table, c.name, quote_identifier(o.keyspace),
                              quote_identifier(o.table), quote_identifier(c.name), c.type.name());
      continue;
    }
    auto table_type = cql::data_type::parse(it->second);
    if (!table_type || *table_type != c.type) {
      problems += fmt::format("\n  column {} is {} in the table and {} in the record schema",
                              c.name, it->second, c.type.name());
    }
  }
  if (!problems.empty()) {
    return make_error(errc::bad_schema,
                      fmt::format("the table does not match the record schema:{}", problems));
  }
  auto insert = SLUICE_TRY(session->prepare(d.insert(o.keyspace, o.table)));
  return std::unique_ptr<sink>(new sink(std::move(session), std::move(insert)));
}

void sink::write(std::vector<cql::value> row, cql::callback done) {
  session_->execute_async(insert_, std::move(row), std::move(done));
}

bool transient(const error& e) {
  using cql::client_errc;
  using cql::error_code;
  for (auto c : {client_errc::no_host, client_errc::timeout, client_errc::connection_lost,
                 client_errc::overloaded, client_errc::closed}) {
    if (is(e, c)) return true;
  }
  for (auto c : {error_code::server_error, error_code::unavailable, error_code::overloaded,
                 error_code::is_bootstrapping, error_code::write_timeout, error_code::write_failure,
                 error_code::truncate_error}) {
    if (is(e, c)) return true;
  }
  return false;
}

}  // namespace sluice::process
