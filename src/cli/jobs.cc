// The pipeline's jobs configured from the config file: shared by `sluice ingest`,
// `sluice process` and `sluice up`, so that each runs the same settings however it is started.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cql/types.h"

namespace sluice::cli {
namespace {

std::string join(const std::vector<config::host_port>& hosts) {
  std::string out;
  for (const auto& h : hosts) out += (out.empty() ? "" : ",") + h.to_string();
  return out;
}

}  // namespace

std::string kafka_bootstrap(const config::config& c) {
  return c.embedded_broker() ? c.broker_advertised().to_string() : join(c.kafka.bootstrap);
}

std::vector<std::string> cql_contact_points(const config::config& c) {
  if (c.embedded_store()) return {c.store.listen.to_string()};
  std::vector<std::string> out;
  for (const auto& h : c.cassandra.contact_points) out.push_back(h.to_string());
  return out;
}

ingest::job_options ingest_job_from(const config::config& c, const config::ingest_section& s) {
  ingest::job_options o;
  o.url = s.url;
  o.topic = s.topic;
  o.count = s.count;
  o.duration = s.duration;
  o.results_per_request = static_cast<int>(s.results_per_request);
  o.concurrency = static_cast<int>(s.concurrency);
  o.rate_limit = s.rate_limit;
  o.fetch.timeout = s.timeout;
  o.fetch.max_retries = static_cast<int>(s.retries);
  o.fetch.backoff = s.retry_backoff;
  o.records_path = s.records;
  o.compression = std::string(config::codec_name(s.compression));
  if (!s.mapping.empty()) {
    o.mapping.clear();
    for (const auto& m : s.mapping) o.mapping.push_back({m.field, m.value});
  }
  o.bootstrap = kafka_bootstrap(c);
  return o;
}

result<process::job_options> process_job_from(const config::config& c, const config::pipeline& p) {
  const config::process_section& s = *p.process;
  process::job_options o;
  o.bootstrap = kafka_bootstrap(c);
  o.topic = s.topic;
  o.group = s.group.empty() ? "sluice-" + p.name : s.group;
  o.from_earliest = s.start == config::starting_offsets::earliest;
  o.dead_letter_topic = s.dead_letter_topic;
  o.max_in_flight = static_cast<size_t>(s.max_in_flight);
  o.fetch_buffer_bytes = s.fetch_buffer_bytes;
  o.commit_interval = s.commit_interval;
  o.client_id = "sluice-process-" + p.name;
  o.sink.keyspace = s.keyspace;
  o.sink.table = s.table;
  o.sink.replication = s.replication;
  o.sink.client.contact_points = cql_contact_points(c);
  o.sink.client.username = c.cassandra.username;
  o.sink.client.password = c.cassandra.password;
  if (!s.columns.empty()) {
    o.schema = {};
    for (const auto& col : s.columns) {
      auto type = cql::data_type::parse(col.type);
      if (!type) {
        return make_error(process::errc::bad_schema,
                          fmt::format("pipeline {}: column {}: '{}' is not a CQL type sluice "
                                      "supports: {}",
                                      p.name, col.name, col.type, type.error().message));
      }
      o.schema.columns.push_back({col.name, *type, col.field, col.required});
    }
    o.schema.partition_key = s.partition_key;
    o.schema.clustering_key = s.clustering_key;
  }
  for (const auto& f : s.filter) {
    o.schema.filter.push_back({f.field, static_cast<process::filter_op>(f.op), f.value});
  }
  o.schema.extra = static_cast<process::extra_fields>(s.extra);
  return o;
}

}  // namespace sluice::cli
