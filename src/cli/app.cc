// The command line: every subcommand and flag of `sluice`, parsed with CLI11. This is the only
// file that includes CLI11; commands receive plain option structs (commands.h).
#include "cli/app.h"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <functional>

#include "cli/commands.h"

namespace sluice::cli {
namespace {

// The deepest selected command, e.g. "topics" for `sluice topics nope`.
CLI::App* deepest(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands()) return deepest(sub);
  return app;
}

std::string command_path(CLI::App* app) {
  std::string path;
  for (CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    path.insert(0, path.empty() ? a->get_name() : a->get_name() + " ");
  }
  return path;
}

std::string subcommand_names(CLI::App* app) {
  std::string names;
  for (CLI::App* sub : app->get_subcommands({})) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  return names;
}

// One line on stderr and the usage exit code.
int usage_error(CLI::App* at, const std::string& message) {
  fmt::print(stderr, "{}: {} (see '{} --help')\n", command_path(at), message, command_path(at));
  return exit_usage;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{
      "sluice: the real-time data pipeline (HTTP API -> Kafka -> stream processing -> "
      "Cassandra) as one program.",
      "sluice"};
  app.allow_extras();  // unknown tokens are reported below, with a precise message
  app.fallthrough();   // global options are accepted after the subcommand too
  app.set_version_flag("--version", std::string("sluice ") + SLUICE_VERSION);
  app.footer(
      "Run 'sluice COMMAND --help' for a command's options. Exit codes: 0 success, "
      "1 failure, 2 usage or config error.");

  global_options g;
  app.add_option("-c,--config", g.config_path,
                 "YAML config file (default: the built-in "
                 "reference pipeline)");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn, error or off");
  app.add_option("--log-format", g.log_format, "text or json");

  std::function<int()> action;

  // --- implemented commands ------------------------------------------------------------------
  up_options up;
  auto* up_cmd = app.add_subcommand("up", "Run the whole pipeline in one process");
  up_cmd->add_option("config", up.config_path, "YAML config (default: the reference pipeline)");
  up_cmd->add_option("--data-dir", up.data_dir, "Root of persistent state (overrides data_dir)");
  up_cmd->add_flag("--dry-run", up.dry_run, "Print what would start, and exit");
  up_cmd->add_option("--progress-interval", up.progress_interval,
                     "How often a progress line is printed, e.g. 5s (default)");
  up_cmd->callback([&] { action = [&] { return run_up(g, up); }; });

  app.add_subcommand("version", "Print the version")->callback([&] { action = run_version; });

  std::string config_file;
  auto* config_cmd = app.add_subcommand("config",
                                        "Check configuration files and print the key "
                                        "reference");
  auto* check_cmd = config_cmd->add_subcommand("check", "Validate a config file");
  check_cmd->add_option("file", config_file, "YAML config file")->required();
  check_cmd->callback([&] { action = [&] { return run_config_check(config_file); }; });
  config_cmd->add_subcommand("docs", "Print the reference of every config key (markdown)")
      ->callback([&] { action = run_config_docs; });

  broker_cli_options bo;
  auto* broker =
      app.add_subcommand("broker", "Run the Kafka-compatible broker until SIGINT/SIGTERM");
  broker->add_option("--listen", bo.listen, "host:port to listen on (default: broker.listen)");
  broker->add_option("--advertised", bo.advertised,
                     "host:port announced to clients (default: broker.advertised)");
  broker->add_option("--data-dir", bo.data_dir, "Directory of the log (default: broker.data_dir)");
  broker->callback([&] { action = [&] { return run_broker(g, bo); }; });

  store_cli_options so;
  auto* store =
      app.add_subcommand("store", "Run the CQL-compatible table store until SIGINT/SIGTERM");
  store->add_option("--listen", so.listen, "host:port to listen on (default: store.listen)");
  store->add_option("--data-dir", so.data_dir, "Directory of the tables (default: store.data_dir)");
  store->add_option("--commitlog-sync", so.commitlog_sync,
                    "batch (fsync before acknowledging) or periodic (default: "
                    "store.commitlog_sync)");
  store->callback([&] { action = [&] { return run_store(g, so); }; });

  api_cli_options ao;
  auto* api = app.add_subcommand(
      "api", "Run the offline random-user API (randomuser.me's shape) until SIGINT/SIGTERM");
  api->add_option("--listen", ao.listen, "host:port to listen on (default: api.listen)");
  api->add_option("--error-rate", ao.error_rate, "Share of requests answered with 503 (0 to 1)");
  api->add_option("--latency", ao.latency, "Time added before every answer, e.g. 50ms");
  api->add_option("--malformed-rate", ao.malformed_rate,
                  "Share of answers whose JSON is cut short (0 to 1)");
  api->add_option("--slow-rate", ao.slow_rate,
                  "Share of requests answered only after --slow-latency (0 to 1)");
  api->add_option("--slow-latency", ao.slow_latency, "How late slow requests are, e.g. 2s");
  api->callback([&] { action = [&] { return run_api(g, ao); }; });

  ingest_options io;
  auto* ingest = app.add_subcommand(
      "ingest", "Fetch users from an HTTP API into a Kafka topic, then exit with a summary");
  ingest->add_option("--url", io.url, "HTTP source (default: the pipeline's ingest.url)");
  ingest->add_option("--bootstrap", io.bootstrap,
                     "Kafka bootstrap servers host:port[,...] (default: kafka.bootstrap, else "
                     "the embedded broker)");
  ingest->add_option("--topic", io.topic, "Destination topic (default: the pipeline's)");
  ingest->add_option("--count", io.count, "Produce exactly N records, then stop");
  ingest->add_option("--duration", io.duration, "Stop after this long, e.g. 60s");
  ingest->add_option("--pipeline", io.pipeline, "Pipeline whose ingest stage to run");
  ingest->add_option("--concurrency", io.concurrency, "Requests in flight (default 2)");
  ingest->add_option("--results-per-request", io.results_per_request,
                     "Users asked for per request (default 5000, randomuser's maximum)");
  ingest->add_option("--rate-limit", io.rate_limit,
                     "At most this many requests a second (0: no limit; default: the pipeline's "
                     "ingest.rate_limit)");
  ingest->add_option("--timeout", io.timeout, "Per request, e.g. 30s");
  ingest->add_option("--retries", io.retries, "Retries of a failed request (default 8)");
  ingest->add_option("--retry-backoff", io.retry_backoff,
                     "The first retry's backoff ceiling, doubled each retry (default 200ms)");
  ingest->add_option("--seed", io.seed,
                     "The API's seed: pages 1, 2, ... of it are fetched (default: a fresh seed)");
  ingest->callback([&] { action = [&] { return run_ingest(g, io); }; });

  process_cli_options po;
  auto* process = app.add_subcommand(
      "process", "Run the stream processor (Kafka topic -> CQL table) until SIGINT/SIGTERM");
  process->add_option("--pipeline", po.pipeline, "Pipeline whose process stage to run");
  process->add_option("--bootstrap", po.bootstrap,
                      "Kafka bootstrap servers (default: kafka.bootstrap, else the embedded "
                      "broker's address)");
  process->add_option("--cql", po.cql,
                      "host:port[,...] of the table store or Cassandra nodes (default: "
                      "cassandra.contact_points, else store.listen)");
  process->add_option("--topic", po.topic, "Topic to consume (default: the pipeline's)");
  process->add_option("--group", po.group, "Consumer group (default: the pipeline's)");
  process->add_option("--from", po.from, "Where a new group starts: earliest or latest");
  process->add_option("--keyspace", po.keyspace, "Keyspace of the table (default: the pipeline's)");
  process->add_option("--table", po.table, "Table to write (default: the pipeline's)");
  process->add_option("--dead-letter-topic", po.dead_letter_topic,
                      "Topic of records that cannot become rows (default: <topic>.dlq)");
  process->add_flag("--until-caught-up", po.until_caught_up,
                    "Exit once every assigned partition has been read to its end");
  process->callback([&] { action = [&] { return run_process(g, po); }; });

  scheduler_cli_options sco;
  auto* scheduler = app.add_subcommand(
      "scheduler", "Run the DAG scheduler and its Airflow-shaped REST API (http.listen)");
  scheduler->add_option("--data-dir", sco.data_dir,
                        "Root of persistent state (overrides data_dir)");
  scheduler->add_option("--metadata", sco.metadata_url,
                        "Metadata database: sqlite://PATH or postgresql://... (overrides "
                        "metadata.url)");
  scheduler->add_option("--http", sco.http, "REST API address host:port (overrides http.listen)");
  scheduler->add_flag("--no-http", sco.no_http, "Serve no REST API");
  scheduler->callback([&] { action = [&] { return run_scheduler(g, sco); }; });

  cql_options qo;
  auto* cql = app.add_subcommand(
      "cql", "CQL shell for sluice's store or any Cassandra node (interactive, or -e/-f)");
  cql->add_option("--host", qo.host,
                  "host:port (default: cassandra.contact_points, else store.listen)");
  cql->add_option("-u,--user", qo.user, "User name (PasswordAuthenticator)");
  cql->add_option("-p,--password", qo.password, "Password");
  cql->add_option("-k,--keyspace", qo.keyspace, "Keyspace to USE");
  cql->add_option("-e,--execute", qo.execute, "Run these statements and exit");
  cql->add_option("-f,--file", qo.file, "Run the statements of this file and exit");
  cql->add_option("--format", qo.format, "Output: table (default), csv or json");
  cql->callback([&] { action = [&] { return run_cql(g, qo); }; });

  topics_options to;
  auto* topics = app.add_subcommand(
      "topics", "List, create, delete and describe topics (any Kafka-compatible broker)");
  topics->add_option("--bootstrap", to.bootstrap,
                     "Bootstrap servers host:port[,...] (default: kafka.bootstrap, else the "
                     "embedded broker's address)");
  auto topic_verb = [&](const char* name, const char* help, topics_options::verb v, bool named) {
    auto* sub = topics->add_subcommand(name, help);
    if (named) sub->add_option("topic", to.topic, "Topic name")->required();
    sub->callback([&, v] {
      to.action = v;
      action = [&] { return run_topics(g, to); };
    });
    return sub;
  };
  topic_verb("list", "List topics and their partition counts", topics_options::list, false);
  auto* topics_create = topic_verb("create", "Create a topic", topics_options::create, true);
  topics_create->add_option("--partitions", to.partitions, "Partitions (default: the broker's)");
  topics_create->add_option("--replication-factor", to.replication_factor,
                            "Replicas (default: the broker's)");
  topic_verb("delete", "Delete a topic and its data", topics_options::remove, true);
  topic_verb("describe", "Partitions, leaders, offsets and configs of a topic",
             topics_options::describe, true);

  groups_options go;
  auto* groups = app.add_subcommand("groups", "Inspect consumer groups and reset their offsets");
  groups->add_option("--bootstrap", go.bootstrap,
                     "Bootstrap servers host:port[,...] (default: kafka.bootstrap, else the "
                     "embedded broker's address)");
  auto group_verb = [&](const char* name, const char* help, groups_options::verb v) {
    auto* sub = groups->add_subcommand(name, help);
    if (v != groups_options::list) sub->add_option("group", go.group, "Group id")->required();
    sub->callback([&, v] {
      go.action = v;
      action = [&] { return run_groups(g, go); };
    });
    return sub;
  };
  group_verb("list", "List consumer groups", groups_options::list);
  group_verb("describe", "Members, offsets and lag", groups_options::describe);
  auto* groups_reset = group_verb("reset-offsets", "Move a group's committed offsets",
                                  groups_options::reset_offsets);
  groups_reset->add_option("--topic", go.topic, "Topic")->required();
  auto* target = groups_reset->add_option_group("target", "Where to move the offsets");
  bool to_earliest = false, to_latest = false;
  target->add_flag("--to-earliest", to_earliest, "Earliest offsets");
  target->add_flag("--to-latest", to_latest, "Latest offsets");
  auto* to_offset =
      target->add_option("--to-offset", go.offset, "This offset, within the partition's range");
  target->require_option(1);
  groups_reset->parse_complete_callback([&, to_offset] {
    go.to = to_latest    ? groups_options::to_latest
            : *to_offset ? groups_options::to_offset
                         : groups_options::to_earliest;
  });

  dags_options dg;
  auto* dags = app.add_subcommand("dags", "List, trigger, pause and inspect DAGs and their runs");
  dags->add_option("--data-dir", dg.data_dir, "Root of persistent state (overrides data_dir)");
  dags->add_option("--metadata", dg.metadata_url, "Metadata database URL (overrides metadata.url)");
  auto dag_verb = [&](const char* name, const char* help, dags_options::verb v) {
    auto* sub = dags->add_subcommand(name, help);
    if (v != dags_options::list) sub->add_option("dag", dg.dag, "DAG id")->required();
    sub->callback([&, v] {
      dg.action = v;
      action = [&] { return run_dags(g, dg); };
    });
    return sub;
  };
  dag_verb("list", "DAGs with their schedule, paused flag and latest run", dags_options::list);
  dag_verb("show", "A DAG's settings and tasks", dags_options::show);
  auto* trig = dag_verb("trigger", "Queue a manual run", dags_options::trigger);
  trig->add_option("--conf", dg.conf, "The run's conf: a JSON object");
  trig->add_option("--run-id", dg.run_id, "Run id (default: manual__<logical date>)");
  trig->add_option("--logical-date", dg.logical_date, "Logical date, ISO 8601 (default: now)");
  dag_verb("pause", "Stop creating and starting runs", dags_options::pause);
  dag_verb("unpause", "Resume", dags_options::unpause);
  auto* runs = dag_verb("runs", "Runs, newest first", dags_options::runs);
  runs->add_option("--state", dg.state, "Only runs in this state");
  runs->add_option("--limit", dg.limit, "At most this many (default 25)");
  auto* tasks = dag_verb("tasks", "Task instances of a run", dags_options::tasks);
  tasks->add_option("run", dg.run_id, "Run id")->required();
  auto* logs = dag_verb("logs", "A task try's log", dags_options::logs);
  logs->add_option("run", dg.run_id, "Run id")->required();
  logs->add_option("task", dg.task, "Task id")->required();
  logs->add_option("--try", dg.try_number, "Try number (default: the latest)");
  auto* back =
      dag_verb("backfill", "Create and run the runs of past intervals", dags_options::backfill);
  back->add_option("--from", dg.from, "First interval start, ISO 8601")->required();
  back->add_option("--to", dg.to, "Last interval start, ISO 8601")->required();
  back->add_option("--conf", dg.conf, "Conf of the runs: a JSON object");
  back->add_flag("--create-only", dg.create_only,
                 "Only create the runs; a running scheduler runs them");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Errors raised inside a subcommand (a missing argument, a bad value).
    return usage_error(deepest(&app), e.what());
  }

  // With fallthrough, a sibling's name is taken as a second subcommand (`sluice topics up`).
  for (CLI::App* level = &app; level != nullptr;) {
    const auto selected = level->get_subcommands();
    if (selected.size() > 1) {
      return usage_error(selected[0], "unknown command '" + selected[1]->get_name() + "'");
    }
    level = selected.empty() ? nullptr : selected[0];
  }

  CLI::App* at = deepest(&app);
  if (const std::vector<std::string> extras = app.remaining(); !extras.empty()) {
    const std::string& extra = extras.front();
    if (extra.starts_with('-')) return usage_error(at, "unknown option '" + extra + "'");
    if (!at->get_subcommands({}).empty()) {
      return usage_error(
          at, "unknown command '" + extra + "' (commands: " + subcommand_names(at) + ")");
    }
    return usage_error(at, "unexpected argument '" + extra + "'");
  }
  if (!action) {
    if (at == &app) {
      fmt::print(stderr, "{}", app.help());
      return exit_usage;
    }
    return usage_error(at, "missing command (one of " + subcommand_names(at) + ")");
  }
  try {
    return action();
  } catch (const std::exception& e) {
    // Commands report expected failures as values; reaching here is a bug, but the user still
    // gets a message and an exit code instead of an abort.
    fmt::print(stderr, "sluice: internal error: {}\n", e.what());
    return exit_failure;
  }
}

}  // namespace sluice::cli
