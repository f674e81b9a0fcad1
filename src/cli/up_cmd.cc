// `sluice up`: the whole pipeline in one process. Prints the plan, starts every part that this
// version has (in dependency order), and serves until SIGINT/SIGTERM, then stops them in reverse.
#include <chrono>
#include <cstdio>
#include <cstring>

#include <fmt/core.h>

#include "api/server.h"
#include "base/lifecycle.h"
#include "base/log.h"
#include "broker/broker.h"
#include "cli/commands.h"
#include "cli/pipeline_services.h"
#include "cli/plan.h"
#include "config/schema.h"
#include "store/server.h"

namespace sluice::cli {

int run_up(const global_options& g, const up_options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  stop_signal stop;  // before any thread starts
  global_options effective = g;
  if (!o.config_path.empty()) effective.config_path = o.config_path;
  auto c = load_config(effective);
  if (!c) return c.error();
  if (!o.data_dir.empty()) c->data_dir = o.data_dir;
  const auto interval = config::schema::parse_duration(o.progress_interval);
  if (!interval || interval->count() <= 0) {
    fmt::print(stderr, "sluice up: --progress-interval: expected a duration such as 5s, got '{}'\n",
               o.progress_interval);
    return exit_usage;
  }

  const auto parts = plan(*c);
  fmt::print("sluice {}: {}\n", SLUICE_VERSION,
             effective.config_path.empty() ? "the reference pipeline on embedded defaults"
                                           : "pipeline from " + effective.config_path);
  fmt::print("plan, in start order:\n{}", format_plan(parts));
  log::get("up")->info(
      "{} part(s) planned from {}", parts.size(),
      effective.config_path.empty() ? "the built-in config" : effective.config_path);
  if (o.dry_run) return exit_ok;

  service_group group;
  auto board = std::make_shared<progress_board>();
  std::string pending;
  bool serving_http = false;
  for (const auto& p : parts) {
    if (p.name == "broker") {
      group.add(std::make_unique<broker::broker>(broker_options_from(*c)));
    } else if (p.name == "api") {
      group.add(std::make_unique<api::server>(api_options_from(*c)));
    } else if (p.name == "store") {
      group.add(std::make_unique<store::server>(store_options_from(*c)));
    } else if (p.name.starts_with("process/")) {
      const auto* pl = c->pipeline_named(std::string_view(p.name).substr(8));
      auto o = process_job_from(*c, *pl);
      if (!o) {
        fmt::print(stderr, "sluice up: {}\n", o.error().message);
        return exit_usage;
      }
      group.add(make_process_service(p.name, std::move(*o), board));
    } else if (p.name == "scheduler" || (p.name == "http" && !serving_http)) {
      // The scheduler runs the DAGs' tasks and serves the REST API on the HTTP listener.
      auto so = scheduler_service_from(*c, true, board);
      if (!so) {
        fmt::print(stderr, "sluice up: {}\n", so.error().message);
        return exit_usage;
      }
      group.add(std::make_unique<orchestrator::scheduler_service>(std::move(*so)));
      serving_http = true;
    } else if (p.name.starts_with("ingest/")) {
      // A pipeline whose ingestion no DAG task runs gets one run at start-up.
      const auto* pl = c->pipeline_named(std::string_view(p.name).substr(7));
      if (!c->ingest_run_by_dag(pl->name)) {
        group.add(make_ingest_service(p.name, ingest_job_from(*c, *pl->ingest), board));
      }
    } else if (p.name != "http") {
      pending += (pending.empty() ? "" : ", ") + p.name;
    }
  }
  if (!pending.empty()) fmt::print("not in this version yet: {}\n", pending);
  std::fflush(stdout);
  if (auto started = group.start_all(); !started) {
    fmt::print(stderr, "sluice up: {}\n", started.error().message);
    return exit_failure;
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  fmt::print("ready in {} ms; Ctrl-C stops everything\n", ms);
  for (const auto& p : c->pipelines) {
    if (!p.process) continue;
    fmt::print("  query the table: sluice cql{} -e \"SELECT count(*) FROM {}.{}\"\n",
               c->embedded_store() && c->store.listen == config::host_port{"127.0.0.1", 9042}
                   ? ""
                   : " --host " + cql_contact_points(*c).front(),
               p.process->keyspace, p.process->table);
  }
  std::fflush(stdout);
  const bool report = !board->ingests.empty() || !board->processes.empty();
  int sig = 0;
  while (true) {
    const auto got = stop.wait_for(*interval);
    if (got) {
      sig = *got;
      break;
    }
    if (report) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fmt::print("{}\n", format_progress(*board, seconds));
      std::fflush(stdout);
    }
  }
  log::get("up")->info("{}, stopping", sig == 0 ? "stop requested" : strsignal(sig));
  group.stop_all();
  if (report) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("{}\n", format_progress(*board, seconds));
  }
  return exit_ok;
}

}  // namespace sluice::cli
