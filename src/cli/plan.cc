#include "cli/plan.h"

#include <algorithm>

#include <fmt/format.h>

namespace sluice::cli {
namespace {

std::string join(const std::vector<config::host_port>& hosts) {
  std::string out;
  for (const auto& h : hosts) {
    if (!out.empty()) out += ',';
    out += h.to_string();
  }
  return out;
}

std::string kafka_target(const config::config& c) {
  return c.embedded_broker() ? c.broker_advertised().to_string() : join(c.kafka.bootstrap);
}

std::string cql_target(const config::config& c) {
  return c.embedded_store() ? c.store.listen.to_string() : join(c.cassandra.contact_points);
}

// A database URL with its password, if any, masked: postgresql://user:***@host/db.
std::string masked(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace

std::vector<planned_part> plan(const config::config& c) {
  std::vector<planned_part> parts;
  if (c.embedded_broker()) {
    parts.push_back({"broker", "Kafka-compatible broker", c.broker.listen.to_string(),
                     "data " + c.broker_data_dir()});
  }
  if (c.embedded_store()) {
    parts.push_back({"store", "CQL-compatible table store", c.store.listen.to_string(),
                     "data " + c.store_data_dir()});
  }
  if (c.api.enabled) {
    parts.push_back({"api", "random-user API", "http://" + c.api.listen.to_string() + "/api/", ""});
  }
  for (const auto& p : c.pipelines) {
    if (!p.process) continue;
    const std::string group = p.process->group.empty() ? "sluice-" + p.name : p.process->group;
    parts.push_back(
        {"process/" + p.name, "stream processor", kafka_target(c) + " -> " + cql_target(c),
         fmt::format(
             "topic {} -> {}.{} (group {}, from {})", p.process->topic, p.process->keyspace,
             p.process->table, group,
             p.process->start == config::starting_offsets::earliest ? "earliest" : "latest")});
  }
  if (!c.dags.empty()) {
    std::string dags;
    for (const auto& d : c.dags) {
      dags += fmt::format("{}{} ({}, {} task{})", dags.empty() ? "" : "; ", d.id,
                          d.schedule.empty() ? "manual" : d.schedule, d.tasks.size(),
                          d.tasks.size() == 1 ? "" : "s");
    }
    parts.push_back({"scheduler", "DAG scheduler", masked(c.metadata_url()), dags});
  }
  for (const auto& p : c.pipelines) {
    if (!p.ingest) continue;
    parts.push_back(
        {"ingest/" + p.name,
         c.ingest_run_by_dag(p.name) ? "ingestion job (run by its DAG task)"
                                     : "ingestion job (one run at start)",
         p.ingest->url,
         fmt::format("-> topic {} on {}, {} per run{}", p.ingest->topic, kafka_target(c),
                     config::format_duration(p.ingest->duration),
                     p.ingest->count > 0 ? fmt::format(" or {} records", p.ingest->count) : "")});
  }
  parts.push_back(
      {"http", "REST API (Airflow-shaped)", "http://" + c.http.listen.to_string() + "/api/v1", ""});
  return parts;
}

std::string format_plan(const std::vector<planned_part>& parts) {
  size_t w_name = 0, w_role = 0, w_end = 0;
  for (const auto& p : parts) {
    w_name = std::max(w_name, p.name.size());
    w_role = std::max(w_role, p.role.size());
    w_end = std::max(w_end, p.endpoint.size());
  }
  std::string out;
  for (const auto& p : parts) {
    std::string line = fmt::format("  {:<{}}  {:<{}}  {:<{}}  {}", p.name, w_name, p.role, w_role,
                                   p.endpoint, w_end, p.detail);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace sluice::cli
