#include "config/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sluice::config {
namespace {

// The error message for `yaml`, which must fail to load.
std::string problems(std::string_view yaml) {
  auto c = load_string(yaml, "f.yaml");
  EXPECT_FALSE(c.has_value()) << "expected an error for:\n" << yaml;
  if (c) return "";
  EXPECT_TRUE(is(c.error(), errc::invalid));
  return c.error().message;
}

TEST(config, empty_file_gives_defaults) {
  for (std::string_view yaml : {"", "# only a comment\n", "---\n", "log:\nbroker:\n"}) {
    auto c = load_string(yaml, "f.yaml");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(*c, config{});
  }
  config d;
  EXPECT_EQ(d.broker.listen.to_string(), "127.0.0.1:9092");
  EXPECT_EQ(d.store.listen.to_string(), "127.0.0.1:9042");
  EXPECT_EQ(d.api.listen.to_string(), "127.0.0.1:8000");
  EXPECT_EQ(d.http.listen.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(d.broker_data_dir(), "./sluice-data/broker");
  EXPECT_EQ(d.metadata_url(), "sqlite://./sluice-data/metadata.db");
  EXPECT_TRUE(d.embedded_broker());
  EXPECT_TRUE(d.embedded_store());
}

TEST(config, full_document) {
  auto c = load_string(R"(
data_dir: /var/lib/sluice
log: {level: debug, format: json}
broker:
  listen: 0.0.0.0:19092
  advertised: broker.example:9092
  page_cache_bytes: 0
kafka:
  bootstrap: [k1:9092, "[::1]:9093"]
cassandra:
  contact_points: [c1:9042]
  username: app
  password: 1234
metadata:
  url: postgresql://sluice@db/sluice
store: {compression: zstd}
pipelines:
  - name: users
    ingest: {url: "https://randomuser.me/api/", duration: 1h30m, count: 500, compression: lz4}
    process: {group: g1, starting_offsets: latest}
dags:
  - id: d
    schedule: "*/5 * * * *"
    tasks:
      - {id: a, type: ingest, pipeline: users}
      - {id: b, type: command, command: "echo hi", upstream: [a]}
)",
                       "f.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->log.level, log::level::debug);
  EXPECT_EQ(c->log.format, log::format::json);
  EXPECT_EQ(c->broker_advertised().to_string(), "broker.example:9092");
  EXPECT_EQ(c->broker.page_cache_bytes, 0);
  EXPECT_EQ(config{}.broker.page_cache_bytes, 16 << 20);
  ASSERT_EQ(c->kafka.bootstrap.size(), 2u);
  EXPECT_EQ(c->kafka.bootstrap[1].host, "::1");
  EXPECT_EQ(c->kafka.bootstrap[1].to_string(), "[::1]:9093");
  EXPECT_FALSE(c->embedded_broker());
  EXPECT_FALSE(c->embedded_store());
  EXPECT_EQ(c->cassandra.password, "1234");
  EXPECT_EQ(c->broker_data_dir(), "/var/lib/sluice/broker");
  EXPECT_EQ(c->metadata_url(), "postgresql://sluice@db/sluice");
  ASSERT_EQ(c->pipelines.size(), 1u);
  ASSERT_TRUE(c->pipelines[0].ingest && c->pipelines[0].process);
  EXPECT_EQ(c->pipelines[0].ingest->duration, std::chrono::minutes(90));
  EXPECT_EQ(c->pipelines[0].ingest->count, 500);
  EXPECT_EQ(c->pipelines[0].ingest->topic, "users_created");  // default inside a given section
  EXPECT_EQ(c->pipelines[0].ingest->compression, codec::lz4);
  EXPECT_EQ(c->store.compression, codec::zstd);
  EXPECT_EQ(codec_name(codec::zstd), "zstd");
  EXPECT_EQ(config{}.store.compression, codec::none);
  EXPECT_EQ(c->pipelines[0].process->start, starting_offsets::latest);
  ASSERT_EQ(c->dags[0].tasks.size(), 2u);
  EXPECT_EQ(c->dags[0].tasks[1].upstream, std::vector<std::string>{"a"});
}

// Each kind of problem, with the exact position and key path it is reported at.
TEST(config, unknown_key_with_suggestion) {
  EXPECT_EQ(problems("broker:\n  listn: 1.2.3.4:1\n"),
            "f.yaml:2:3: broker.listn: unknown key (did you mean 'listen'?)");
  EXPECT_EQ(problems("brokers: {}\n"), "f.yaml:1:1: brokers: unknown key (did you mean 'broker'?)");
  EXPECT_EQ(problems("log:\n  zzz: 1\n"),
            "f.yaml:2:3: log.zzz: unknown key (expected level or format)");
}

TEST(config, wrong_types) {
  EXPECT_EQ(problems("api:\n  enabled: yes\n"),
            "f.yaml:2:12: api.enabled: expected true or false, got yes");
  EXPECT_EQ(problems("kafka:\n  bootstrap: localhost:9092\n"),
            "f.yaml:2:14: kafka.bootstrap: expected a list, got localhost:9092");
  EXPECT_EQ(problems("log: [info]\n"), "f.yaml:1:6: log: expected a mapping, got a list");
  EXPECT_EQ(problems("data_dir: {a: 1}\n"),
            "f.yaml:1:11: data_dir: expected a string, got a mapping");
  EXPECT_EQ(problems("log:\n  level: loud\n"),
            "f.yaml:2:10: log.level: expected trace, debug, info, warn, error or off, got loud");
  EXPECT_EQ(problems("pipelines:\n  - name: p\n    ingest:\n      count: \"5\"\n"),
            "f.yaml:4:14: pipelines[0].ingest.count: expected an integer, got \"5\"");
  EXPECT_EQ(problems("pipelines:\n  - name: p\n    ingest:\n      count: 99999999999999999999\n"),
            "f.yaml:4:14: pipelines[0].ingest.count: integer 99999999999999999999 is out of range");
  EXPECT_EQ(problems("pipelines:\n  - name: p\n    ingest: {duration: 60}\n"),
            "f.yaml:3:24: pipelines[0].ingest.duration: expected a duration such as 500ms, 30s, "
            "5m, 1h30m, got 60");
  EXPECT_EQ(problems("broker: {page_cache_bytes: -1}\n"),
            "f.yaml:1:28: broker.page_cache_bytes: must be 0 or more, got -1");
  EXPECT_EQ(problems("store: {compression: brotli}\n"),
            "f.yaml:1:22: store.compression: expected none, gzip, snappy, lz4 or zstd, got brotli");
  EXPECT_EQ(problems("api:\n  enabled:\n"),
            "f.yaml:2:3: api.enabled: expected true or false, got nothing");
  EXPECT_EQ(problems("- a\n- b\n"), "f.yaml:1:1: expected a mapping, got a list");
}

TEST(config, bad_addresses) {
  EXPECT_EQ(problems("store: {listen: localhost}\n"),
            "f.yaml:1:17: store.listen: expected host:port such as 127.0.0.1:9092, got "
            "\"localhost\"");
  EXPECT_EQ(problems("store: {listen: \"localhost:99999\"}\n"),
            "f.yaml:1:17: store.listen: port 99999 is out of range 1-65535");
  EXPECT_EQ(problems("kafka: {bootstrap: [\"a:1\", \"::1:2\"]}\n"),
            "f.yaml:1:28: kafka.bootstrap[1]: expected host:port such as 127.0.0.1:9092, got "
            "\"::1:2\"");
  EXPECT_EQ(problems("metadata: {url: mysql://x}\n"),
            "f.yaml:1:17: metadata.url: expected a sqlite:// or postgresql:// URL, got "
            "\"mysql://x\"");
}

TEST(config, missing_required_key) {
  EXPECT_EQ(problems("pipelines:\n  - ingest: {}\n"),
            "f.yaml:2:5: pipelines[0].name: missing required key");
  EXPECT_EQ(problems("dags:\n  - id: d\n    tasks:\n      - id: t\n"),
            "f.yaml:4:9: dags[0].tasks[0].type: missing required key");
  EXPECT_EQ(problems("dags:\n  - id: d\n    tasks:\n      - {id: t, type: ingest}\n"),
            "f.yaml:4:9: dags[0].tasks[0].pipeline: missing required key for an ingest task");
}

TEST(config, duplicate_key) {
  EXPECT_EQ(problems("log:\n  level: info\n  level: debug\n"),
            "f.yaml:3:3: log.level: duplicate key");
}

TEST(config, syntax_error) {
  EXPECT_EQ(problems("log:\n  level: info\n bad: 1\n"),
            "f.yaml:3:2: syntax error: end of map not found");
  EXPECT_EQ(problems("kafka: {bootstrap: [a:1\n"),
            "f.yaml:2:1: syntax error: end of sequence flow not found");
}

TEST(config, dag_and_pipeline_references) {
  EXPECT_EQ(problems(R"(pipelines:
  - name: p
    process: {}
  - name: p
    process: {}
)"),
            "f.yaml:4:11: pipelines[1].name: duplicate pipeline name 'p'");
  EXPECT_EQ(problems("pipelines:\n  - name: p\n"),
            "f.yaml:2:5: pipelines[0]: a pipeline needs an `ingest` or a `process` stage");
  EXPECT_EQ(problems(R"(dags:
  - id: d
    tasks:
      - {id: a, type: ingest, pipeline: nope}
      - {id: b, type: command, command: x, upstream: [a, c]}
)"),
            "f.yaml:4:41: dags[0].tasks[0].pipeline: unknown pipeline 'nope'\n"
            "f.yaml:5:58: dags[0].tasks[1].upstream[1]: unknown task 'c'");
  EXPECT_EQ(problems(R"(dags:
  - id: d
    tasks:
      - {id: a, type: command, command: x, upstream: [c]}
      - {id: b, type: command, command: x, upstream: [a]}
      - {id: c, type: command, command: x, upstream: [b]}
)"),
            "f.yaml:2:5: dags[0].tasks: dependency cycle: a -> c -> b -> a (each task waits for "
            "the next)");
  EXPECT_EQ(problems("dags:\n  - id: d\n    schedule: every day\n"),
            "f.yaml:3:15: dags[0].schedule: expected five cron fields (minute hour day-of-month "
            "month day-of-week) or a preset (@hourly, @daily, @weekly, @monthly, @yearly, @once), "
            "got \"every day\"");
  EXPECT_EQ(problems("dags:\n  - id: d\n    schedule: '0 25 * * *'\n"),
            "f.yaml:3:15: dags[0].schedule: cron field 2 (hour) \"25\": 25 is out of range 0-23");
  EXPECT_EQ(problems(R"(dags:
  - id: d
    tasks:
      - {id: a, type: command, command: x}
      - {id: a, type: command, command: y}
)"),
            "f.yaml:5:14: dags[0].tasks[1].id: duplicate task id 'a'");
}

TEST(config, every_problem_is_reported_in_file_order) {
  EXPECT_EQ(problems("api:\n  enabled: 3\nlog:\n  level: x\nzzz: 1\n"),
            "f.yaml:2:12: api.enabled: expected true or false, got 3\n"
            "f.yaml:4:10: log.level: expected trace, debug, info, warn, error or off, got x\n"
            "f.yaml:5:1: zzz: unknown key (expected data_dir, log, broker, kafka, store, "
            "cassandra, api, http, metadata, scheduler, pipelines or dags)");
}

TEST(config, dag_policies_params_and_dates) {
  auto c = load_string(R"(dags:
  - id: d
    schedule: "*/15 9-17 * * MON-FRI"
    start_date: 2026-01-01T09:00:00Z
    catchup: true
    max_active_runs: 2
    params: {table: users, limit: "10"}
    default_args: {retries: 3, retry_delay: 30s, retry_exponential_backoff: true}
    tasks:
      - {id: a, type: cql, statements: ["TRUNCATE ks.t"]}
      - {id: b, type: command, command: "echo", env: {X: "1"}, retries: 0, upstream: [a]}
scheduler: {parallelism: 4, poll_interval: 200ms}
)",
                       "f.yaml");
  ASSERT_TRUE(c) << c.error().message;
  const dag& d = c->dags[0];
  EXPECT_EQ(d.params.at("limit"), "10");
  EXPECT_EQ(d.tasks[0].policy(d.default_args).retries, 3);
  EXPECT_EQ(d.tasks[1].policy(d.default_args).retries, 0);
  EXPECT_EQ(d.tasks[1].policy(d.default_args).retry_delay, std::chrono::seconds(30));
  EXPECT_EQ(d.tasks[1].env.at("X"), "1");
  EXPECT_EQ(c->scheduler.parallelism, 4);
  EXPECT_EQ(problems("dags:\n  - {id: d, start_date: yesterday}\n"),
            "f.yaml:2:25: dags[0].start_date: expected an ISO 8601 time such as "
            "2026-11-24T10:00:00Z, got \"yesterday\"");
  EXPECT_EQ(problems("dags:\n  - {id: d, schedule: '@daily', catchup: true}\n"),
            "f.yaml:2:42: dags[0].start_date: catchup runs every interval since start_date: set "
            "one");
  EXPECT_EQ(problems("dags:\n  - {id: d, schedule: '@once'}\n"),
            "f.yaml:2:23: dags[0].start_date: @once runs once, at start_date: set one");
  EXPECT_EQ(problems("dags:\n  - id: d\n    tasks: [{id: a, type: cql}]\n"),
            "f.yaml:3:13: dags[0].tasks[0].statements: missing required key for a cql task");
  EXPECT_EQ(problems("dags:\n  - {id: d, params: [1]}\n"),
            "f.yaml:2:21: dags[0].params: expected a mapping, got a list");
  EXPECT_EQ(problems("scheduler: {parallelism: 0}\n"),
            "f.yaml:1:26: scheduler.parallelism: expected 1 to 1024, got 0");
}

TEST(config, one_document_without_aliases) {
  EXPECT_EQ(problems("log: {level: debug}\n---\nbroker: {bogus: 1}\n"),
            "f.yaml:2:1: a config file holds one YAML document; a second one starts here");
  EXPECT_EQ(problems("log: &l {level: debug}\napi: *l\n"),
            "f.yaml:2:6: aliases (*name) are not supported: write the value out");
  EXPECT_EQ(problems("log:\n  <<: {level: debug}\n"),
            "f.yaml:2:3: log.<<: merge keys (<<) are not supported: write the keys out");
}

TEST(config, tagged_values_are_not_text) {
  EXPECT_EQ(problems("cassandra: {password: !!binary aGVsbG8=}\n"),
            "f.yaml:1:23: cassandra.password: expected a string, got "
            "tag:yaml.org,2002:binary aGVsbG8=");
  auto c = load_string("cassandra: {password: !!str 1234}\n", "f.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->cassandra.password, "1234");
}

TEST(config, value_ranges) {
  EXPECT_EQ(problems("pipelines:\n  - name: p\n    ingest: {count: -5, duration: 0s}\n"),
            "f.yaml:3:21: pipelines[0].ingest.count: must be 0 or more, got -5\n"
            "f.yaml:3:35: pipelines[0].ingest.duration: must be longer than 0s");
}

TEST(config, task_stage_must_exist) {
  EXPECT_EQ(problems(R"(pipelines:
  - name: p
    process: {}
dags:
  - id: d
    tasks:
      - {id: a, type: ingest, pipeline: p}
)"),
            "f.yaml:7:41: dags[0].tasks[0].pipeline: pipeline 'p' has no ingest stage");
}

TEST(config, malformed_items_are_errors_not_crashes) {
  // Found by fuzzing: list items of the wrong kind used to reach the cross-field checks.
  EXPECT_EQ(problems("dags:\n  -\n  - i\n"),
            "f.yaml:2:3: dags[0].id: missing required key\n"
            "f.yaml:3:5: dags[1]: expected a mapping, got i");
  EXPECT_EQ(problems("pipelines: [ingest: {}, ingest: {}]\n"),
            "f.yaml:1:13: pipelines[0].name: missing required key\n"
            "f.yaml:1:25: pipelines[1].name: missing required key");
  EXPECT_EQ(problems("dags: [{id: d, tasks: [x, y]}]\n"),
            "f.yaml:1:24: dags[0].tasks[0]: expected a mapping, got x\n"
            "f.yaml:1:27: dags[0].tasks[1]: expected a mapping, got y");
}

TEST(config, problem_list_is_capped) {
  std::string yaml;
  for (int i = 0; i < 150; ++i) yaml += "k" + std::to_string(i) + ": 1\n";
  const std::string msg = problems(yaml);
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 100);
  EXPECT_TRUE(msg.ends_with("f.yaml: 50 more problem(s) not listed"))
      << msg.substr(msg.size() - 80);
}

TEST(config, long_dependency_chain_has_no_recursion_limit) {
  std::string yaml =
      "dags:\n  - id: d\n    tasks:\n      - {id: t0, type: command, command: x, upstream: "
      "[t19999]}\n";
  for (int i = 1; i < 20000; ++i) {
    yaml += "      - {id: t" + std::to_string(i) + ", type: command, command: x, upstream: [t" +
            std::to_string(i - 1) + "]}\n";
  }
  const std::string msg = problems(yaml);
  EXPECT_TRUE(msg.starts_with("f.yaml:2:5: dags[0].tasks: dependency cycle: t"))
      << msg.substr(0, 200);
  // Without the closing edge, the same chain is valid.
  yaml.replace(yaml.find("upstream: [t19999]"), 18, "upstream: []");
  auto ok = load_string(yaml, "f.yaml");
  EXPECT_TRUE(ok.has_value()) << ok.error().message.substr(0, 200);
}

TEST(config, special_files_are_refused) {
  auto dir = load_file("/");
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().message, "/: not a regular file");
  auto dev = load_file("/dev/zero");
  ASSERT_FALSE(dev.has_value());
  EXPECT_EQ(dev.error().message, "/dev/zero: not a regular file");
}

TEST(config, unreadable_file) {
  auto c = load_file("/nonexistent/sluice.yaml");
  ASSERT_FALSE(c.has_value());
  EXPECT_TRUE(is(c.error(), errc::unreadable));
  EXPECT_EQ(c.error().message, "/nonexistent/sluice.yaml: cannot open: No such file or directory");
}

TEST(host_port, parse) {
  EXPECT_EQ(host_port::parse("localhost:9042")->port, 9042);
  EXPECT_EQ(host_port::parse("[fe80::1]:1")->host, "fe80::1");
  for (const char* bad :
       {"", ":1", "a:", "a:b", "a:1x", "[::1]", "[::1]1", "::1:2", "a:0", "a:-1"}) {
    EXPECT_FALSE(host_port::parse(bad).has_value()) << bad;
  }
}

std::string source_file(const std::string& rel) {
  const char* root = std::getenv("SLUICE_SOURCE_DIR");
  if (root == nullptr) return "";
  std::ifstream in(std::string(root) + "/" + rel);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(config, reference_example_matches_built_in_defaults) {
  const char* root = std::getenv("SLUICE_SOURCE_DIR");
  ASSERT_NE(root, nullptr) << "SLUICE_SOURCE_DIR is set by CTest";
  auto c = load_file(std::string(root) + "/examples/sluice.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(*c, reference());
  auto ext = load_file(std::string(root) + "/examples/external-clusters.yaml");
  ASSERT_TRUE(ext.has_value()) << ext.error().message;
  EXPECT_FALSE(ext->embedded_broker());
  EXPECT_FALSE(ext->embedded_store());
}

TEST(config, docs_match_the_schema) {
  const std::string docs = source_file("docs/config.md");
  ASSERT_FALSE(docs.empty()) << "docs/config.md not found";
  EXPECT_NE(docs.find(reference_markdown()), std::string::npos)
      << "docs/config.md is out of date; regenerate its table with `sluice config docs`:\n"
      << reference_markdown();
}

}  // namespace
}  // namespace sluice::config
