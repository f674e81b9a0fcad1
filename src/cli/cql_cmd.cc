// `sluice cql`: the CQL shell against sluice's store or any Cassandra-compatible node.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cql/client.h"
#include "shell/shell.h"

namespace sluice::cli {

int run_cql(const global_options& g, const cql_options& o) {
  auto c = load_config(g);
  if (!c) return c.error();
  shell::shell_options so;
  if (o.format == "table" || o.format.empty()) {
    so.format = shell::output_format::table;
  } else if (o.format == "csv") {
    so.format = shell::output_format::csv;
  } else if (o.format == "json") {
    so.format = shell::output_format::json;
  } else {
    fmt::print(stderr, "sluice cql: --format: expected table, csv or json, got '{}'\n", o.format);
    return exit_usage;
  }
  if (!o.execute.empty() && !o.file.empty()) {
    fmt::print(stderr, "sluice cql: give -e or -f, not both\n");
    return exit_usage;
  }
  std::string script;
  if (!o.file.empty()) {
    std::ifstream in(o.file);
    if (!in) {
      fmt::print(stderr, "sluice cql: cannot read {}\n", o.file);
      return exit_failure;
    }
    std::ostringstream all;
    all << in.rdbuf();
    script = all.str();
  }

  cql::client_options co;
  // Default: the configured cluster's first contact point, else the embedded store.
  std::string host = o.host;
  if (host.empty()) {
    host = c->embedded_store() ? c->store.listen.to_string()
                               : c->cassandra.contact_points.front().to_string();
  }
  co.contact_points = {host};
  co.username = o.user.empty() ? c->cassandra.username : o.user;
  co.password = o.password.empty() ? c->cassandra.password : o.password;
  co.keyspace = o.keyspace;
  co.connections_per_host = 1;
  co.connect_timeout = std::chrono::milliseconds(5000);
  auto session = cql::session::connect(co);
  if (!session) {
    fmt::print(stderr, "sluice cql: cannot connect: {}\n", session.error().message);
    return exit_failure;
  }
  so.address = host;
  so.keyspace = o.keyspace;
  shell::shell sh(**session, so, std::cout, std::cerr);
  if (!o.execute.empty()) return sh.run_script(o.execute);
  if (!o.file.empty()) return sh.run_script(script);
  if (!isatty(STDIN_FILENO)) {
    std::ostringstream all;
    all << std::cin.rdbuf();
    return sh.run_script(all.str());
  }
  return sh.run_interactive();
}

}  // namespace sluice::cli
