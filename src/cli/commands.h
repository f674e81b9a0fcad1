// The commands behind `sluice <subcommand>`, each taking a plain options struct. app.cc (the only
// file that includes CLI11) fills the structs from the command line and calls these; a command
// returns the process exit code: 0 success, 1 runtime failure, 2 usage or config error.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "api/server.h"
#include "base/error.h"
#include "broker/handlers.h"
#include "config/config.h"
#include "ingest/job.h"
#include "orchestrator/service.h"
#include "process/job.h"
#include "store/server.h"

namespace sluice::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// Options every command accepts.
struct global_options {
  std::string config_path;  // -c/--config; empty: built-in defaults
  std::string log_level;    // --log-level; empty: from config
  std::string log_format;   // --log-format; empty: from config
};

// Loads the config (or the built-in reference pipeline when no file is given), then sets up
// logging from it and the flags. Errors are printed; the int is the exit code to return.
std::expected<config::config, int> load_config(const global_options& g);

struct up_options {
  std::string config_path;               // positional CONFIG; overrides --config
  std::string data_dir;                  // --data-dir
  bool dry_run = false;                  // --dry-run: print the plan and exit
  std::string progress_interval = "5s";  // --progress-interval: how often progress is printed
};
int run_up(const global_options& g, const up_options& o);

struct broker_cli_options {
  std::string listen;      // overrides broker.listen
  std::string advertised;  // overrides broker.advertised
  std::string data_dir;    // overrides broker.data_dir
};
int run_broker(const global_options& g, const broker_cli_options& o);
// The broker's settings from a config's `broker` section.
broker::broker_options broker_options_from(const config::config& c);

struct store_cli_options {
  std::string listen;          // overrides store.listen
  std::string data_dir;        // overrides store.data_dir
  std::string commitlog_sync;  // overrides store.commitlog_sync: batch or periodic
};
int run_store(const global_options& g, const store_cli_options& o);
// The store's settings from a config's `store` section.
store::server_options store_options_from(const config::config& c);

struct api_cli_options {
  std::string listen;                    // overrides api.listen
  std::optional<double> error_rate;      // overrides api.error_rate
  std::string latency;                   // overrides api.latency, e.g. "50ms"
  std::optional<double> malformed_rate;  // overrides api.malformed_rate
  std::optional<double> slow_rate;       // overrides api.slow_rate
  std::string slow_latency;              // overrides api.slow_latency
};
int run_api(const global_options& g, const api_cli_options& o);
// The random-user API's settings from a config's `api` section.
api::server_options api_options_from(const config::config& c);

struct ingest_options {
  std::string url;        // --url; default: the pipeline's ingest.url
  std::string bootstrap;  // --bootstrap; default: kafka.bootstrap, else the embedded broker
  std::string topic;      // --topic; default: the pipeline's ingest.topic
  int64_t count = -1;     // --count; -1: the pipeline's
  std::string duration;   // --duration, e.g. 60s
  std::string pipeline;   // --pipeline: whose ingest stage; default: the first
  int concurrency = 0;    // --concurrency: requests in flight
  int results_per_request = 0;
  double rate_limit = -1;     // --rate-limit: requests a second; 0: none; -1: the pipeline's
  std::string timeout;        // --timeout: per request
  int retries = -1;           // --retries
  std::string retry_backoff;  // --retry-backoff: the first retry's ceiling
  std::string seed;           // --seed: the API's seed (pages 1, 2, ... of it); default: fresh
};
int run_ingest(const global_options& g, const ingest_options& o);

struct process_cli_options {
  std::string pipeline;           // --pipeline: whose process stage; default: the first
  std::string bootstrap;          // --bootstrap; default: kafka.bootstrap or the embedded broker
  std::string cql;                // --cql host:port[,...]; default: cassandra or the store
  std::string topic;              // --topic
  std::string group;              // --group
  std::string from;               // --from earliest|latest (a new group's start)
  std::string keyspace;           // --keyspace
  std::string table;              // --table
  std::string dead_letter_topic;  // --dead-letter-topic
  bool until_caught_up = false;   // --until-caught-up: exit once every partition is read
};
int run_process(const global_options& g, const process_cli_options& o);

// Where the pipeline's parts reach Kafka and the table store: the external clusters when
// configured, else the embedded broker and store.
std::string kafka_bootstrap(const config::config& c);
std::vector<std::string> cql_contact_points(const config::config& c);
// The jobs' settings from a pipeline's stages of the config.
ingest::job_options ingest_job_from(const config::config& c, const config::ingest_section& s);
result<process::job_options> process_job_from(const config::config& c, const config::pipeline& p);

struct cql_options {
  std::string host;      // --host; default: the first cassandra.contact_points, else store.listen
  std::string user;      // -u; default: cassandra.username
  std::string password;  // -p; default: cassandra.password
  std::string keyspace;  // -k
  std::string execute;   // -e: statements to run, then exit
  std::string file;      // -f: a file of statements to run, then exit
  std::string format;    // --format: table (default), csv or json
};
int run_cql(const global_options& g, const cql_options& o);

struct topics_options {
  enum verb { list, create, remove, describe } action = list;
  std::string bootstrap;  // --bootstrap; default: kafka.bootstrap or the embedded broker
  std::string topic;
  int64_t partitions = -1;          // -1: the broker's default
  int64_t replication_factor = -1;  // -1: the broker's default
};
int run_topics(const global_options& g, const topics_options& o);

struct groups_options {
  enum verb { list, describe, reset_offsets } action = list;
  std::string bootstrap;  // --bootstrap; default: kafka.bootstrap or the embedded broker
  std::string group;
  // reset-offsets: the topic, and where to move its offsets.
  std::string topic;
  enum target { to_earliest, to_latest, to_offset } to = to_earliest;
  int64_t offset = 0;  // with to_offset
};
int run_groups(const global_options& g, const groups_options& o);

struct scheduler_cli_options {
  std::string data_dir;      // --data-dir
  std::string metadata_url;  // --metadata: overrides metadata.url
  std::string http;          // --http host:port: overrides http.listen
  bool no_http = false;      // --no-http: no REST API
};
int run_scheduler(const global_options& g, const scheduler_cli_options& o);
struct progress_board;
// The built-in task types of the config's pipelines, and the scheduler's settings. With a board
// (`sluice up`), ingest tasks also report their progress there.
orchestrator::runners task_runners_from(const config::config& c,
                                        std::shared_ptr<progress_board> board = nullptr);
result<orchestrator::service_options> scheduler_service_from(
    const config::config& c, bool http, std::shared_ptr<progress_board> board = nullptr);

struct dags_options {
  enum verb { list, show, trigger, pause, unpause, runs, tasks, logs, backfill } action = list;
  std::string dag;
  std::string run_id;        // tasks, logs; trigger: --run-id
  std::string task;          // logs
  int try_number = 0;        // logs --try; 0: the latest
  std::string conf;          // trigger, backfill: --conf JSON
  std::string logical_date;  // trigger --logical-date
  std::string from, to;      // backfill --from/--to (ISO 8601)
  std::string state;         // runs --state
  int64_t limit = 25;        // runs --limit
  bool create_only = false;  // backfill --create-only: leave the runs to a running scheduler
  std::string data_dir;      // --data-dir
  std::string metadata_url;  // --metadata
};
int run_dags(const global_options& g, const dags_options& o);

int run_version();
int run_config_check(const std::string& path);
int run_config_docs();

}  // namespace sluice::cli
