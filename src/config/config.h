// The deployment configuration: one YAML file that says which parts of sluice run embedded, where
// external clusters are, listen addresses, data directories, pipelines and DAGs.
//
// Loading is strict: an unknown key, a value of the wrong type or a missing required key is an
// error of the form `file:line:column: key.path: problem`, never a silent default. Every key has a
// default declared once, in the schema (spec.cc), from which docs/config.md is generated.
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/log.h"

namespace sluice::config {

// A TCP endpoint as written in config: "127.0.0.1:9092", "localhost:9042", "[::1]:8080".
struct host_port {
  std::string host;
  uint16_t port = 0;

  [[nodiscard]] std::string to_string() const;
  static result<host_port> parse(std::string_view text);
  bool operator==(const host_port&) const = default;
};

struct log_section {
  log::level level = log::level::info;
  log::format format = log::format::text;

  bool operator==(const log_section&) const = default;
};

// When the broker forces appended records to disk relative to acknowledging them.
enum class fsync_policy { acks_all, always, never };

struct broker_section {
  host_port listen{"127.0.0.1", 9092};
  std::optional<host_port> advertised;  // what clients are told to connect to; default: listen
  std::string data_dir;                 // default: <data_dir>/broker
  bool auto_create_topics = true;
  int64_t default_partitions = 1;
  int64_t max_request_bytes = 100 << 20;
  fsync_policy fsync = fsync_policy::acks_all;
  int64_t segment_bytes = int64_t{1} << 30;
  std::chrono::milliseconds segment_age{7LL * 24 * 3600 * 1000};
  int64_t retention_bytes = -1;
  std::chrono::milliseconds retention_age{7LL * 24 * 3600 * 1000};
  int64_t page_cache_bytes = 16 << 20;  // per partition; 0: left to the operating system
  std::chrono::milliseconds group_initial_rebalance_delay{0};
  std::chrono::milliseconds group_min_session_timeout{6000};
  std::chrono::milliseconds group_max_session_timeout{30 * 60 * 1000};
  std::chrono::milliseconds offset_retention{7LL * 24 * 3600 * 1000};

  bool operator==(const broker_section&) const = default;
};

struct kafka_section {
  std::vector<host_port> bootstrap;  // empty: the embedded broker

  bool operator==(const kafka_section&) const = default;
};

// When the store's write-ahead log reaches the disk, as Cassandra's `commitlog_sync`.
enum class commitlog_sync { batch, periodic };

// Who may connect to the store.
enum class authenticator { none, password };

// A compression codec for data at rest (the store's table files) or in flight (produced batches).
enum class codec { none, gzip, snappy, lz4, zstd };
std::string_view codec_name(codec c);

struct store_user {
  std::string name;
  std::string password;

  bool operator==(const store_user&) const = default;
};

struct store_section {
  host_port listen{"127.0.0.1", 9042};
  std::string data_dir;  // default: <data_dir>/store
  commitlog_sync sync = commitlog_sync::batch;
  authenticator auth = authenticator::none;
  std::vector<store_user> users;
  int64_t max_frame_bytes = 16 << 20;
  int64_t cache_bytes = 32 << 20;
  int64_t max_pending_writes = 4096;
  codec compression = codec::none;

  bool operator==(const store_section&) const = default;
};

struct cassandra_section {
  std::vector<host_port> contact_points;  // empty: the embedded store
  std::string local_datacenter = "datacenter1";
  std::string username;
  std::string password;

  bool operator==(const cassandra_section&) const = default;
};

struct api_section {
  bool enabled = true;
  host_port listen{"127.0.0.1", 8000};
  double error_rate = 0;                 // share of requests answered 503
  std::chrono::milliseconds latency{0};  // added to every answer
  double malformed_rate = 0;             // share of answers whose JSON is cut short
  double slow_rate = 0;                  // share of requests answered late
  std::chrono::milliseconds slow_latency{2'000};

  bool operator==(const api_section&) const = default;
};

struct http_section {
  host_port listen{"127.0.0.1", 8080};

  bool operator==(const http_section&) const = default;
};

struct metadata_section {
  std::string url;  // default: sqlite://<data_dir>/metadata.db

  bool operator==(const metadata_section&) const = default;
};

// One field of the record an ingestion job produces: a template over the API's record.
struct mapped_field {
  std::string field;
  std::string value;  // "{name.first}", "{uuid}", "{location.city}, {location.country}"

  bool operator==(const mapped_field&) const = default;
};

struct ingest_section {
  std::string url = "http://127.0.0.1:8000/api/";
  std::string topic = "users_created";
  std::chrono::milliseconds duration{60'000};
  int64_t count = 0;  // 0: no limit besides duration
  int64_t results_per_request = 5000;
  int64_t concurrency = 2;
  double rate_limit = 0;  // requests a second; 0: none
  std::chrono::milliseconds timeout{30'000};
  int64_t retries = 8;
  std::chrono::milliseconds retry_backoff{200};
  std::string records = "results";    // where the API's answer holds its records
  std::vector<mapped_field> mapping;  // empty: the reference pipeline's record
  codec compression = codec::none;    // of the batches produced

  bool operator==(const ingest_section&) const = default;
};

enum class starting_offsets { earliest, latest };

// One column of the stream processor's record schema.
struct schema_column {
  std::string name;       // the table's column
  std::string type;       // its CQL type: "text", "uuid", "map<text, int>"
  std::string field;      // dot-separated path in the record; empty: name
  bool required = false;  // absent or null: the record is dead-lettered

  bool operator==(const schema_column&) const = default;
};

enum class filter_op { eq, ne, lt, le, gt, ge, exists, missing };

struct filter_condition {
  std::string field;
  filter_op op = filter_op::eq;
  std::string value;

  bool operator==(const filter_condition&) const = default;
};

enum class extra_fields { report, dead_letter, ignore };

struct process_section {
  std::string topic = "users_created";
  std::string group;  // default: sluice-<pipeline name>
  starting_offsets start = starting_offsets::earliest;
  std::string keyspace = "spark_streams";
  std::string table = "created_users";
  std::string replication = "{'class': 'SimpleStrategy', 'replication_factor': '1'}";
  std::string dead_letter_topic;       // default: <topic>.dlq
  std::vector<schema_column> columns;  // empty: the reference record
  std::vector<std::string> partition_key;
  std::vector<std::string> clustering_key;
  std::vector<filter_condition> filter;
  extra_fields extra = extra_fields::report;
  int64_t max_in_flight = 2048;
  int64_t fetch_buffer_bytes = 64 << 20;
  std::chrono::milliseconds commit_interval{1000};

  bool operator==(const process_section&) const = default;
};

struct pipeline {
  std::string name;
  std::optional<ingest_section> ingest;
  std::optional<process_section> process;

  bool operator==(const pipeline&) const = default;
};

enum class task_type { ingest, process, command, cql };

// How a task is retried and bounded, as Airflow's default_args: set per DAG, overridable per task.
struct task_policy {
  int64_t retries = 0;                             // tries after the first
  std::chrono::milliseconds retry_delay{300'000};  // before the first retry
  bool retry_exponential_backoff = false;          // double the delay each retry, with jitter
  std::chrono::milliseconds max_retry_delay{24LL * 3600 * 1000};
  std::chrono::milliseconds execution_timeout{0};  // 0: none

  bool operator==(const task_policy&) const = default;
};

struct task {
  std::string id;
  task_type type = task_type::command;
  std::string pipeline;                    // for ingest and process tasks
  std::string command;                     // for command tasks: run by /bin/sh -c
  std::map<std::string, std::string> env;  // added to a command's environment
  std::vector<std::string> statements;     // for cql tasks, run in order
  std::vector<std::string> upstream;
  // Per-task overrides of the DAG's default_args.
  std::optional<int64_t> retries;
  std::optional<std::chrono::milliseconds> retry_delay;
  std::optional<bool> retry_exponential_backoff;
  std::optional<std::chrono::milliseconds> max_retry_delay;
  std::optional<std::chrono::milliseconds> execution_timeout;

  // The DAG's defaults with this task's overrides applied.
  [[nodiscard]] task_policy policy(const task_policy& defaults) const;
  bool operator==(const task&) const = default;
};

struct dag {
  std::string id;
  std::string description;
  std::string schedule;    // cron or preset; empty: manual only
  std::string start_date;  // ISO 8601; empty: no lower bound (catchup then needs one)
  std::string end_date;    // ISO 8601; empty: none
  bool catchup = false;
  int64_t max_active_runs = 16;
  bool paused = false;  // paused when first seen (Airflow's is_paused_upon_creation)
  std::map<std::string, std::string> params;
  task_policy default_args;
  std::vector<task> tasks;

  bool operator==(const dag&) const = default;
};

struct scheduler_section {
  std::chrono::milliseconds poll_interval{1000};  // longest wait between two scheduling passes
  int64_t parallelism = 16;                       // task tries running at once per scheduler
  std::chrono::milliseconds heartbeat_timeout{30'000};
  int64_t log_max_bytes = 1 << 20;  // of one try's log; the middle of a longer one is left out

  bool operator==(const scheduler_section&) const = default;
};

struct config {
  std::string data_dir = "./sluice-data";
  log_section log;
  broker_section broker;
  kafka_section kafka;
  store_section store;
  cassandra_section cassandra;
  api_section api;
  http_section http;
  metadata_section metadata;
  scheduler_section scheduler;
  std::vector<pipeline> pipelines;
  std::vector<dag> dags;

  // Derived values, with the documented defaults applied.
  [[nodiscard]] bool embedded_broker() const { return kafka.bootstrap.empty(); }
  [[nodiscard]] bool embedded_store() const { return cassandra.contact_points.empty(); }
  [[nodiscard]] std::string broker_data_dir() const;
  [[nodiscard]] std::string store_data_dir() const;
  [[nodiscard]] std::string metadata_url() const;
  [[nodiscard]] host_port broker_advertised() const;
  // The pipeline of that name, or null.
  [[nodiscard]] const pipeline* pipeline_named(std::string_view name) const;
  // Whether some DAG task runs the named pipeline's ingest stage.
  [[nodiscard]] bool ingest_run_by_dag(std::string_view pipeline_name) const;

  bool operator==(const config&) const = default;
};

enum class errc {
  ok = 0,
  unreadable,  // the file could not be read
  invalid,     // syntax or validation problems; the message lists each on its own line
};
std::string_view describe(errc e);
std::string_view category_name(errc);

// Config files larger than this are refused before they are read.
inline constexpr uintmax_t max_file_bytes = 8 << 20;

// Loads and validates a config file. On failure the error message holds one line per problem,
// `file:line:column: key.path: problem`, in file order. A file holds one YAML document without
// aliases (`*name`); special files and files above max_file_bytes are refused.
result<config> load_file(const std::filesystem::path& path);
// As load_file, for text already in memory; `name` stands for the file in messages.
result<config> load_string(std::string_view yaml, std::string_view name);

// The reference pipeline that `sluice up` runs with no config file: defaults plus one pipeline
// (users) and one DAG (user_automation).
config reference();

// A duration as written in config: "60s", "5m", "1500ms".
std::string format_duration(std::chrono::milliseconds d);

// Markdown reference of every key: type, default and meaning (the body of docs/config.md).
std::string reference_markdown();

}  // namespace sluice::config
