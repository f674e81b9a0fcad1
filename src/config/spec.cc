// The schema of sluice's configuration: every key, its type, default and meaning, declared once.
// Loading, validation and docs/config.md all come from these declarations.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "config/config.h"
#include "config/schema.h"
#include "config/spec.h"
#include "schedule/timetable.h"

namespace sluice::log {
// Config names of the logging enums are the ones the log module parses.
std::span<const std::string_view> enum_names(level) { return level_names(); }
std::span<const std::string_view> enum_names(format) { return format_names(); }
}  // namespace sluice::log

namespace sluice::config {

using schema::make_field;
using schema::object_spec;
using schema::where;

namespace {
constexpr std::array<std::string_view, 2> starting_offsets_names{"earliest", "latest"};
constexpr std::array<std::string_view, 3> fsync_policy_names{"acks_all", "always", "never"};
constexpr std::array<std::string_view, 2> commitlog_sync_names{"batch", "periodic"};
constexpr std::array<std::string_view, 2> authenticator_names{"none", "password"};
constexpr std::array<std::string_view, 5> codec_names{"none", "gzip", "snappy", "lz4", "zstd"};
constexpr std::array<std::string_view, 4> task_type_names{"ingest", "process", "command", "cql"};
constexpr std::array<std::string_view, 8> filter_op_names{"eq", "ne", "lt",     "le",
                                                          "gt", "ge", "exists", "missing"};
constexpr std::array<std::string_view, 3> extra_fields_names{"report", "dead_letter", "ignore"};
}  // namespace

std::span<const std::string_view> enum_names(starting_offsets) { return starting_offsets_names; }
std::span<const std::string_view> enum_names(fsync_policy) { return fsync_policy_names; }
std::span<const std::string_view> enum_names(commitlog_sync) { return commitlog_sync_names; }
std::span<const std::string_view> enum_names(authenticator) { return authenticator_names; }
std::span<const std::string_view> enum_names(codec) { return codec_names; }
std::string_view codec_name(codec c) { return codec_names[static_cast<size_t>(c)]; }
std::span<const std::string_view> enum_names(task_type) { return task_type_names; }
std::span<const std::string_view> enum_names(filter_op) { return filter_op_names; }
std::span<const std::string_view> enum_names(extra_fields) { return extra_fields_names; }

}  // namespace sluice::config

namespace sluice::config {

const object_spec<log_section>& spec_for(log_section*) {
  static const object_spec<log_section> s{{
      make_field("level", &log_section::level, "Least severe level written to stderr."),
      make_field("format", &log_section::format,
                 "`text` for people, `json` for one JSON object per line (log shippers)."),
  }};
  return s;
}

const object_spec<broker_section>& spec_for(broker_section*) {
  static const object_spec<broker_section> s{
      {
          make_field("listen", &broker_section::listen,
                     "Address the embedded Kafka-compatible broker listens on."),
          make_field("advertised", &broker_section::advertised,
                     "Address the broker tells clients to connect to (Metadata responses). Set it "
                     "when clients reach the broker through another name than `listen`.",
                     {.default_text = "the `listen` address"}),
          make_field("data_dir", &broker_section::data_dir,
                     "Directory of the broker's log segments.",
                     {.default_text = "`<data_dir>/broker`"}),
          make_field("auto_create_topics", &broker_section::auto_create_topics,
                     "Create a topic when a client asks for one that does not exist (Metadata, "
                     "Produce), as Kafka's `auto.create.topics.enable`."),
          make_field("default_partitions", &broker_section::default_partitions,
                     "Partitions of an auto-created topic (Kafka's `num.partitions`)."),
          make_field("max_request_bytes", &broker_section::max_request_bytes,
                     "Largest request frame accepted; a larger one closes the connection (Kafka's "
                     "`socket.request.max.bytes`)."),
          make_field(
              "fsync", &broker_section::fsync,
              "When appended records are forced to disk (fdatasync). `acks_all`: before an "
              "acks=all produce is acknowledged, so an acknowledged acks=all record survives "
              "a crash or power loss; acks=1 records survive a crash of sluice but may be lost "
              "with the machine. `always`: before any produce is acknowledged. `never`: left "
              "to the operating system, as Kafka does, relying on replication."),
          make_field("segment_bytes", &broker_section::segment_bytes,
                     "A partition's active segment rolls before it would exceed this size "
                     "(Kafka's `segment.bytes`)."),
          make_field("segment_age", &broker_section::segment_age,
                     "A partition's active segment rolls once its first record is this old "
                     "(Kafka's `segment.ms`)."),
          make_field("retention_bytes", &broker_section::retention_bytes,
                     "Old segments of a partition are deleted while it is larger than this; -1: no "
                     "size limit (Kafka's `retention.bytes`)."),
          make_field("retention_age", &broker_section::retention_age,
                     "Segments whose newest record is older than this are deleted, checked every 5 "
                     "minutes; 0s: keep forever (Kafka's `retention.ms`)."),
          make_field(
              "page_cache_bytes", &broker_section::page_cache_bytes,
              "How much of each partition's newest log is left in the operating system's page "
              "cache, where consumers reading just behind the producers find it. Older bytes are "
              "written back in the background and dropped from the cache, so sustained writes "
              "neither pile up dirty pages (the kernel then stalls every writer at its dirty "
              "limit) nor grow the page cache without bound. Consumers further behind read from "
              "the disk. Not a durability setting: see `fsync`. 0: the page cache is left to the "
              "operating system, as Kafka does."),
          make_field("group_initial_rebalance_delay",
                     &broker_section::group_initial_rebalance_delay,
                     "How long a new consumer group waits for more members before its first "
                     "generation, each newcomer extending the wait up to the rebalance timeout "
                     "(Kafka's `group.initial.rebalance.delay.ms`, 3s there). 0s: a lone "
                     "processor starts at once; raise it when many consumers start together."),
          make_field("group_min_session_timeout", &broker_section::group_min_session_timeout,
                     "Shortest session timeout a consumer may ask for; shorter ones are refused "
                     "with INVALID_SESSION_TIMEOUT (Kafka's `group.min.session.timeout.ms`)."),
          make_field("group_max_session_timeout", &broker_section::group_max_session_timeout,
                     "Longest session timeout a consumer may ask for (Kafka's "
                     "`group.max.session.timeout.ms`)."),
          make_field("offset_retention", &broker_section::offset_retention,
                     "Committed offsets of a group with no members are deleted this long after "
                     "the later of their commit and the group becoming empty (Kafka's "
                     "`offsets.retention.minutes`)."),
      },
      [](const where& w, schema::context& ctx, broker_section& b) {
        if (b.default_partitions < 1 || b.default_partitions > 10'000) {
          ctx.report(schema::mark_at(w.node, {"default_partitions"}, w.mark()),
                     w.path + ".default_partitions",
                     fmt::format("must be 1 to 10000, got {}", b.default_partitions));
        }
        if (b.segment_bytes < 1024 || b.segment_bytes > UINT32_MAX) {
          ctx.report(schema::mark_at(w.node, {"segment_bytes"}, w.mark()),
                     w.path + ".segment_bytes",
                     fmt::format("must be 1024 to 4294967295, got {}", b.segment_bytes));
        }
        if (b.segment_age.count() <= 0) {
          ctx.report(schema::mark_at(w.node, {"segment_age"}, w.mark()), w.path + ".segment_age",
                     "must be longer than 0s");
        }
        if (b.retention_bytes < -1) {
          ctx.report(schema::mark_at(w.node, {"retention_bytes"}, w.mark()),
                     w.path + ".retention_bytes",
                     fmt::format("must be -1 or more, got {}", b.retention_bytes));
        }
        if (b.group_min_session_timeout.count() < 1 ||
            b.group_max_session_timeout < b.group_min_session_timeout ||
            b.group_max_session_timeout.count() > INT32_MAX) {
          ctx.report(schema::mark_at(w.node, {"group_max_session_timeout"}, w.mark()),
                     w.path + ".group_max_session_timeout",
                     "must be at least group_min_session_timeout (itself at least 1ms), and at "
                     "most 24 days");
        }
        if (b.offset_retention.count() <= 0) {
          ctx.report(schema::mark_at(w.node, {"offset_retention"}, w.mark()),
                     w.path + ".offset_retention", "must be longer than 0s");
        }
        if (b.page_cache_bytes < 0) {
          ctx.report(schema::mark_at(w.node, {"page_cache_bytes"}, w.mark()),
                     w.path + ".page_cache_bytes",
                     fmt::format("must be 0 or more, got {}", b.page_cache_bytes));
        }
        if (b.max_request_bytes < 1024 || b.max_request_bytes > INT32_MAX) {
          ctx.report(schema::mark_at(w.node, {"max_request_bytes"}, w.mark()),
                     w.path + ".max_request_bytes",
                     fmt::format("must be 1024 to 2147483647, got {}", b.max_request_bytes));
        }
      }};
  return s;
}

const object_spec<kafka_section>& spec_for(kafka_section*) {
  static const object_spec<kafka_section> s{{
      make_field(
          "bootstrap", &kafka_section::bootstrap,
          "Bootstrap servers of an external Kafka-compatible cluster. Empty: the pipeline "
          "uses the embedded broker, which then runs. Set: the embedded broker does not run."),
  }};
  return s;
}

const object_spec<store_user>& spec_for(store_user*) {
  static const object_spec<store_user> s{{
      make_field("name", &store_user::name, "User name.", {.required = true}),
      make_field("password", &store_user::password, "The user's password.", {.required = true}),
  }};
  return s;
}

const object_spec<store_section>& spec_for(store_section*) {
  static const object_spec<store_section> s{
      {
          make_field("listen", &store_section::listen,
                     "Address the embedded CQL-compatible store listens on."),
          make_field("data_dir", &store_section::data_dir, "Directory of the store's tables.",
                     {.default_text = "`<data_dir>/store`"}),
          make_field("commitlog_sync", &store_section::sync,
                     "When a write reaches the disk, as Cassandra's `commitlog_sync`. `batch`: "
                     "the write-ahead log is fsynced before a write is acknowledged (writes of "
                     "concurrent requests share one fsync), so an acknowledged row survives a "
                     "crash or power loss. `periodic`: the operating system writes the log back; "
                     "an acknowledged row survives a crash of sluice but may be lost with the "
                     "machine."),
          make_field("authenticator", &store_section::auth,
                     "`none`: any client may connect. `password`: clients log in with a user of "
                     "`users`, as Cassandra's PasswordAuthenticator."),
          make_field("users", &store_section::users,
                     "Users who may log in when `authenticator` is `password`."),
          make_field("max_frame_bytes", &store_section::max_frame_bytes,
                     "Largest request frame accepted; a larger one is answered with a protocol "
                     "error and the connection closed (Cassandra's "
                     "`native_transport_max_frame_size`)."),
          make_field("cache_bytes", &store_section::cache_bytes,
                     "Size of the block cache that keeps recently read table data in memory."),
          make_field("max_pending_writes", &store_section::max_pending_writes,
                     "Writes waiting for the disk across all connections; beyond it a "
                     "connection's further requests wait (back-pressure), as Cassandra's "
                     "`native_transport_max_requests_per_second` protects it."),
          make_field("compression", &store_section::compression,
                     "Compression of the table files (`none`, `gzip`, `snappy`, `lz4`, `zstd`). "
                     "`none` by default: on the pipeline's two-core reference machine compressing "
                     "the files cost 5% of all its CPU, for disk space it had plenty of. Files "
                     "already written keep their codec."),
      },
      [](const where& w, schema::context& ctx, store_section& st) {
        if (st.auth == authenticator::password && st.users.empty()) {
          ctx.report(schema::mark_at(w.node, {"users"}, w.mark()), w.path + ".users",
                     "the password authenticator needs at least one user");
        }
        if (st.max_frame_bytes < 1024 || st.max_frame_bytes > INT32_MAX) {
          ctx.report(schema::mark_at(w.node, {"max_frame_bytes"}, w.mark()),
                     w.path + ".max_frame_bytes",
                     fmt::format("must be 1024 to 2147483647, got {}", st.max_frame_bytes));
        }
        if (st.cache_bytes < 0) {
          ctx.report(schema::mark_at(w.node, {"cache_bytes"}, w.mark()), w.path + ".cache_bytes",
                     "must be 0 or more");
        }
        if (st.max_pending_writes < 1) {
          ctx.report(schema::mark_at(w.node, {"max_pending_writes"}, w.mark()),
                     w.path + ".max_pending_writes", "must be at least 1");
        }
      }};
  return s;
}

const object_spec<cassandra_section>& spec_for(cassandra_section*) {
  static const object_spec<cassandra_section> s{{
      make_field("contact_points", &cassandra_section::contact_points,
                 "Contact points of an external Cassandra or ScyllaDB cluster. Empty: the pipeline "
                 "uses the embedded store, which then runs. Set: the embedded store does not run."),
      make_field("local_datacenter", &cassandra_section::local_datacenter,
                 "Data center whose nodes the CQL client prefers."),
      make_field("username", &cassandra_section::username,
                 "User for PasswordAuthenticator; empty: no authentication."),
      make_field("password", &cassandra_section::password, "Password for `username`."),
  }};
  return s;
}

const object_spec<api_section>& spec_for(api_section*) {
  static const object_spec<api_section> s{
      {
          make_field("enabled", &api_section::enabled,
                     "Run the built-in random-user API (an offline stand-in for randomuser.me)."),
          make_field("listen", &api_section::listen, "Address the random-user API listens on."),
          make_field("error_rate", &api_section::error_rate,
                     "Fault injection: the share of requests (0 to 1) answered with HTTP 503, as "
                     "randomuser.me does when it fails."),
          make_field("latency", &api_section::latency,
                     "Fault injection: time added before every answer."),
          make_field(
              "malformed_rate", &api_section::malformed_rate,
              "Fault injection: the share of answers (0 to 1) whose JSON body is cut short."),
          make_field("slow_rate", &api_section::slow_rate,
                     "Fault injection: the share of requests (0 to 1) answered only after "
                     "`slow_latency`, to trip clients' timeouts."),
          make_field("slow_latency", &api_section::slow_latency,
                     "Fault injection: how late the slow requests are answered."),
      },
      [](const where& w, schema::context& ctx, api_section& a) {
        for (auto [key, v] :
             {std::pair{"error_rate", a.error_rate}, std::pair{"malformed_rate", a.malformed_rate},
              std::pair{"slow_rate", a.slow_rate}}) {
          if (v < 0 || v > 1) {
            ctx.report(schema::mark_at(w.node, {key}, w.mark()), w.path + "." + key,
                       fmt::format("must be 0 to 1, got {}", v));
          }
        }
      }};
  return s;
}

const object_spec<http_section>& spec_for(http_section*) {
  static const object_spec<http_section> s{{
      make_field("listen", &http_section::listen,
                 "Address of sluice's HTTP listener: the scheduler's REST API (`/api/v1`), "
                 "served by `sluice up` and `sluice scheduler`."),
  }};
  return s;
}

const object_spec<metadata_section>& spec_for(metadata_section*) {
  static const object_spec<metadata_section> s{
      {make_field("url", &metadata_section::url,
                  "Scheduler metadata database: `sqlite://PATH` or `postgresql://...` (a libpq "
                  "connection URI).",
                  {.default_text = "`sqlite://<data_dir>/metadata.db`"})},
      [](const where& w, schema::context& ctx, metadata_section& m) {
        if (m.url.empty() || m.url.starts_with("sqlite://") || m.url.starts_with("postgresql://") ||
            m.url.starts_with("postgres://")) {
          return;
        }
        ctx.report(schema::mark_at(w.node, {"url"}, w.mark()), w.path + ".url",
                   "expected a sqlite:// or postgresql:// URL, got \"" + m.url + "\"");
      }};
  return s;
}

const object_spec<mapped_field>& spec_for(mapped_field*) {
  static const object_spec<mapped_field> s{{
      make_field("field", &mapped_field::field, "Name of the produced record's field.",
                 {.required = true}),
      make_field("value", &mapped_field::value, "Template of its value.", {.required = true}),
  }};
  return s;
}

const object_spec<ingest_section>& spec_for(ingest_section*) {
  static const object_spec<ingest_section> s{
      {
          make_field("url", &ingest_section::url,
                     "HTTP source of users (randomuser.me's API shape). "
                     "`https://randomuser.me/api/` works unchanged."),
          make_field("topic", &ingest_section::topic, "Kafka topic the formatted records go to."),
          make_field("duration", &ingest_section::duration, "How long one ingestion run lasts."),
          make_field("count", &ingest_section::count,
                     "Stop after this many records; 0: only `duration` bounds the run."),
          make_field("results_per_request", &ingest_section::results_per_request,
                     "Users asked for per request (randomuser.me gives at most 5000)."),
          make_field("concurrency", &ingest_section::concurrency, "Requests in flight."),
          make_field("compression", &ingest_section::compression,
                     "Compression of the batches produced (`none`, `gzip`, `snappy`, `lz4`, "
                     "`zstd`; librdkafka's `compression.type`). `none` suits a broker on the same "
                     "machine; `lz4` or `zstd` save network and disk on a remote cluster."),
          make_field("rate_limit", &ingest_section::rate_limit,
                     "At most this many requests a second; 0: no limit."),
          make_field("timeout", &ingest_section::timeout,
                     "A request's whole time, connecting included; a slower one is retried."),
          make_field("retries", &ingest_section::retries,
                     "Retries of a request that timed out, could not connect, was answered 429 "
                     "or 5xx, or gave unusable JSON; after the last the job fails."),
          make_field("retry_backoff", &ingest_section::retry_backoff,
                     "The first retry waits up to this long (full jitter), doubling each retry "
                     "up to 10s; a Retry-After header takes precedence."),
          make_field("records", &ingest_section::records,
                     "Where the API's answer holds its array of records, as a dot-separated path."),
          make_field(
              "mapping", &ingest_section::mapping,
              "The produced record's fields, each `{field: NAME, value: TEMPLATE}`: text with "
              "{a.b.c} (a value of the API's record), {uuid} (a fresh UUID) and {{ }} (braces). "
              "Empty: the reference record (id, first_name, last_name, gender, address, "
              "post_code, email, username, dob, registered_date, phone, picture)."),
      },
      [](const where& w, schema::context& ctx, ingest_section& in) {
        auto positive = [&](const char* key, int64_t v, int64_t lo) {
          if (v < lo) {
            ctx.report(schema::mark_at(w.node, {key}, w.mark()), w.path + "." + key,
                       fmt::format("must be at least {}, got {}", lo, v));
          }
        };
        positive("results_per_request", in.results_per_request, 1);
        positive("concurrency", in.concurrency, 1);
        positive("retries", in.retries, 0);
        if (in.rate_limit < 0) {
          ctx.report(schema::mark_at(w.node, {"rate_limit"}, w.mark()), w.path + ".rate_limit",
                     "must be 0 or more");
        }
        if (in.count < 0) {
          ctx.report(schema::mark_at(w.node, {"count"}, w.mark()), w.path + ".count",
                     "must be 0 or more, got " + std::to_string(in.count));
        }
        if (in.duration.count() <= 0) {
          ctx.report(schema::mark_at(w.node, {"duration"}, w.mark()), w.path + ".duration",
                     "must be longer than 0s");
        }
      }};
  return s;
}

const object_spec<schema_column>& spec_for(schema_column*) {
  static const object_spec<schema_column> s{{
      make_field("name", &schema_column::name, "The table's column.", {.required = true}),
      make_field("type", &schema_column::type,
                 "Its CQL type (`text`, `uuid`, `int`, `timestamp`, `list<text>`, ...).",
                 {.required = true}),
      make_field("field", &schema_column::field,
                 "Dot-separated path of its value in the record (`location.city`, `tags.0`).",
                 {.default_text = "the column's name"}),
      make_field("required", &schema_column::required,
                 "A record without this field (or with null) goes to the dead-letter topic. "
                 "Key columns are always required."),
  }};
  return s;
}

const object_spec<filter_condition>& spec_for(filter_condition*) {
  static const object_spec<filter_condition> s{{
      make_field("field", &filter_condition::field, "Dot-separated path in the record.",
                 {.required = true}),
      make_field("op", &filter_condition::op,
                 "Comparison: numbers compare as numbers, text as bytes; `exists` means present "
                 "and not null."),
      make_field("value", &filter_condition::value, "What the field is compared with."),
  }};
  return s;
}

const object_spec<process_section>& spec_for(process_section*) {
  static const object_spec<process_section> s{
      {
          make_field("topic", &process_section::topic,
                     "Kafka topic the stream processor consumes."),
          make_field("group", &process_section::group,
                     "Consumer group of the processor instances; instances with the same group "
                     "share the partitions.",
                     {.default_text = "`sluice-<pipeline name>`"}),
          make_field("starting_offsets", &process_section::start,
                     "Where a new consumer group starts reading."),
          make_field("keyspace", &process_section::keyspace, "CQL keyspace of the sink table."),
          make_field("table", &process_section::table, "CQL table the records are written to."),
          make_field("replication", &process_section::replication,
                     "Replication of the keyspace when the processor creates it."),
          make_field("dead_letter_topic", &process_section::dead_letter_topic,
                     "Topic that records which cannot become rows go to, with the reason and "
                     "their source in headers.",
                     {.default_text = "`<topic>.dlq`"}),
          make_field("columns", &process_section::columns,
                     "The record schema: one `{name, type, field, required}` per column, in "
                     "table order. Empty: the reference record (`id uuid` and eleven text "
                     "columns)."),
          make_field("partition_key", &process_section::partition_key,
                     "Columns of the partition key (required with `columns`)."),
          make_field("clustering_key", &process_section::clustering_key,
                     "Clustering columns, ascending."),
          make_field("filter", &process_section::filter,
                     "Only records for which every `{field, op, value}` holds are written; the "
                     "others are counted as filtered."),
          make_field("extra_fields", &process_section::extra,
                     "Records with fields that no column reads: `report` writes the row and logs "
                     "each such field once, `dead_letter` rejects the record, `ignore`."),
          make_field("max_in_flight", &process_section::max_in_flight,
                     "Writes to the table unanswered at once."),
          make_field("fetch_buffer_bytes", &process_section::fetch_buffer_bytes,
                     "Records read ahead from the topic and not yet taken, at most (librdkafka's "
                     "`queued.max.messages.kbytes`, and a record count of this over 256). A full "
                     "buffer pauses reading for up to a second, so it should hold about a second "
                     "of the table's write rate."),
          make_field("commit_interval", &process_section::commit_interval,
                     "How often the offsets of finished records are committed."),
      },
      [](const where& w, schema::context& ctx, process_section& p) {
        if (!p.columns.empty() && p.partition_key.empty()) {
          ctx.report(w.mark(), w.path + ".partition_key",
                     "a schema given in `columns` needs its `partition_key`");
        }
        if (p.max_in_flight < 1) {
          ctx.report(schema::mark_at(w.node, {"max_in_flight"}, w.mark()),
                     w.path + ".max_in_flight", "must be at least 1");
        }
        if (p.fetch_buffer_bytes < 1024 || p.fetch_buffer_bytes > (int64_t{2} << 30)) {
          ctx.report(schema::mark_at(w.node, {"fetch_buffer_bytes"}, w.mark()),
                     w.path + ".fetch_buffer_bytes",
                     fmt::format("must be 1024 to 2147483648, got {}", p.fetch_buffer_bytes));
        }
        if (p.commit_interval.count() <= 0) {
          ctx.report(schema::mark_at(w.node, {"commit_interval"}, w.mark()),
                     w.path + ".commit_interval", "must be longer than 0s");
        }
      }};
  return s;
}

const object_spec<pipeline>& spec_for(pipeline*) {
  static const object_spec<pipeline> s{
      {
          make_field("name", &pipeline::name, "Unique name of the pipeline.", {.required = true}),
          make_field("ingest", &pipeline::ingest,
                     "Stage that fetches from an HTTP API and produces to Kafka."),
          make_field("process", &pipeline::process,
                     "Stage that consumes from Kafka and writes to a CQL table."),
      },
      [](const where& w, schema::context& ctx, pipeline& p) {
        if (!p.ingest && !p.process) {
          ctx.report(w.mark(), w.path, "a pipeline needs an `ingest` or a `process` stage");
        }
      }};
  return s;
}

namespace {

// A schedule is empty (manual), a preset, or five cron fields. The scheduler parses the fields.
// Finds a dependency cycle without recursion (a DAG may have many tasks): Kahn's algorithm removes
// every task whose upstreams are all removed; what remains is on or behind a cycle, and every
// remaining task has a remaining upstream, so walking upstream from one must come round.
void report_cycle(const where& w, schema::context& ctx, const dag& d,
                  const std::map<std::string, size_t>& index) {
  const size_t n = d.tasks.size();
  std::vector<size_t> pending(n, 0);
  std::vector<std::vector<size_t>> downstream(n);
  for (size_t i = 0; i < n; ++i) {
    for (const auto& up : d.tasks[i].upstream) {
      auto it = index.find(up);
      if (it == index.end()) continue;
      ++pending[i];
      downstream[it->second].push_back(i);
    }
  }
  std::vector<size_t> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  std::vector<bool> removed(n, false);
  while (!ready.empty()) {
    const size_t t = ready.back();
    ready.pop_back();
    removed[t] = true;
    for (size_t down : downstream[t]) {
      if (--pending[down] == 0) ready.push_back(down);
    }
  }
  size_t start = n;
  for (size_t i = 0; i < n && start == n; ++i) {
    if (!removed[i]) start = i;
  }
  if (start == n) return;
  auto remaining_upstream = [&](size_t t) {
    for (const auto& up : d.tasks[t].upstream) {
      auto it = index.find(up);
      if (it != index.end() && !removed[it->second]) return it->second;
    }
    return n;  // unreachable for a remaining task
  };
  std::vector<size_t> seen_at(n, n), path;
  size_t t = start;
  while (t < n && seen_at[t] == n) {
    seen_at[t] = path.size();
    path.push_back(t);
    t = remaining_upstream(t);
  }
  if (t == n) return;
  std::string cycle;
  for (size_t i = seen_at[t]; i < path.size(); ++i) cycle += d.tasks[path[i]].id + " -> ";
  ctx.report(w.mark(), w.path + ".tasks",
             "dependency cycle: " + cycle + d.tasks[t].id + " (each task waits for the next)");
}

void check_dag(const where& w, schema::context& ctx, dag& d) {
  if (auto t = schedule::timetable::parse(d.schedule); !t) {
    ctx.report(schema::mark_at(w.node, {"schedule"}, w.mark()), w.path + ".schedule",
               t.error().message);
  }
  std::optional<schedule::time_point> start, end;
  for (auto [key, text, out] : {std::tuple{"start_date", &d.start_date, &start},
                                std::tuple{"end_date", &d.end_date, &end}}) {
    if (text->empty()) continue;
    if (auto t = schedule::parse_iso(*text)) {
      *out = *t;
    } else {
      ctx.report(schema::mark_at(w.node, {key}, w.mark()), w.path + "." + key, t.error().message);
    }
  }
  if (start && end && *end < *start) {
    ctx.report(schema::mark_at(w.node, {"end_date"}, w.mark()), w.path + ".end_date",
               "ends before start_date " + d.start_date);
  }
  if (d.schedule == "@once" && d.start_date.empty()) {
    ctx.report(schema::mark_at(w.node, {"schedule"}, w.mark()), w.path + ".start_date",
               "@once runs once, at start_date: set one");
  }
  if (d.catchup && d.start_date.empty() && !d.schedule.empty()) {
    ctx.report(schema::mark_at(w.node, {"catchup"}, w.mark()), w.path + ".start_date",
               "catchup runs every interval since start_date: set one");
  }
  if (d.max_active_runs < 1 || d.max_active_runs > 10'000) {
    ctx.report(schema::mark_at(w.node, {"max_active_runs"}, w.mark()), w.path + ".max_active_runs",
               "expected 1 to 10000, got " + std::to_string(d.max_active_runs));
  }
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < d.tasks.size(); ++i) {
    const task& t = d.tasks[i];
    const std::string path = fmt::format("{}.tasks[{}]", w.path, i);
    if (!index.emplace(t.id, i).second) {
      ctx.report(schema::mark_at(w.node, {"tasks", i, "id"}, w.mark()), path + ".id",
                 "duplicate task id '" + t.id + "'");
    }
  }
  for (size_t i = 0; i < d.tasks.size(); ++i) {
    for (size_t u = 0; u < d.tasks[i].upstream.size(); ++u) {
      const std::string& up = d.tasks[i].upstream[u];
      if (!index.contains(up)) {
        ctx.report(schema::mark_at(w.node, {"tasks", i, "upstream", u}, w.mark()),
                   fmt::format("{}.tasks[{}].upstream[{}]", w.path, i, u),
                   "unknown task '" + up + "'");
      }
    }
  }
  report_cycle(w, ctx, d, index);
}

}  // namespace

const object_spec<task_policy>& spec_for(task_policy*) {
  static const object_spec<task_policy> s{
      {
          make_field("retries", &task_policy::retries,
                     "Tries after the first before a task counts as failed."),
          make_field("retry_delay", &task_policy::retry_delay, "Wait before the first retry."),
          make_field("retry_exponential_backoff", &task_policy::retry_exponential_backoff,
                     "Double the wait each retry, with jitter (as Airflow: between once and twice "
                     "`retry_delay * 2^(try-2)`), up to `max_retry_delay`."),
          make_field("max_retry_delay", &task_policy::max_retry_delay,
                     "Longest wait between two tries."),
          make_field("execution_timeout", &task_policy::execution_timeout,
                     "A try running longer is stopped (a command's process group gets SIGTERM, "
                     "then SIGKILL 5 s later; a built-in job is cancelled) and counts as failed; "
                     "0s: no limit."),
      },
      [](const where& w, schema::context& ctx, task_policy& p) {
        if (p.retries < 0 || p.retries > 1000) {
          ctx.report(schema::mark_at(w.node, {"retries"}, w.mark()), w.path + ".retries",
                     "expected 0 to 1000, got " + std::to_string(p.retries));
        }
      }};
  return s;
}

const object_spec<task>& spec_for(task*) {
  static const object_spec<task> s{
      {
          make_field("id", &task::id, "Task id, unique within its DAG.", {.required = true}),
          make_field("type", &task::type,
                     "What the task runs: a pipeline's ingest stage, its process stage until "
                     "caught up, a shell command, or CQL statements.",
                     {.required = true}),
          make_field("pipeline", &task::pipeline,
                     "Pipeline whose stage an ingest/process task runs."),
          make_field("command", &task::command,
                     "Shell command of a command task (`/bin/sh -c`); `{{ ds }}`-style templates "
                     "are filled in (docs/scheduler.md). Exit 0: success; 99: skipped; else "
                     "failed."),
          make_field("env", &task::env,
                     "Environment variables added to a command task's environment."),
          make_field("statements", &task::statements,
                     "CQL statements of a cql task, run in order against the store or "
                     "`cassandra.contact_points`; templates are filled in."),
          make_field("upstream", &task::upstream, "Ids of the tasks that must succeed first."),
          make_field("retries", &task::retries, "Overrides the DAG's `default_args.retries`.",
                     {.default_text = "the DAG's"}),
          make_field("retry_delay", &task::retry_delay, "Overrides `default_args.retry_delay`.",
                     {.default_text = "the DAG's"}),
          make_field("retry_exponential_backoff", &task::retry_exponential_backoff,
                     "Overrides `default_args.retry_exponential_backoff`.",
                     {.default_text = "the DAG's"}),
          make_field("max_retry_delay", &task::max_retry_delay,
                     "Overrides `default_args.max_retry_delay`.", {.default_text = "the DAG's"}),
          make_field("execution_timeout", &task::execution_timeout,
                     "Overrides `default_args.execution_timeout`.", {.default_text = "the DAG's"}),
      },
      [](const where& w, schema::context& ctx, task& t) {
        // Without a type, the missing key was reported; nothing is known of what else it needs.
        if (schema::mark_at(w.node, {"type"}, YAML::Mark::null_mark()).is_null()) return;
        const bool needs_pipeline = t.type == task_type::ingest || t.type == task_type::process;
        if (needs_pipeline && t.pipeline.empty()) {
          ctx.report(w.mark(), w.path + ".pipeline",
                     "missing required key for an " + schema::render(t.type) + " task");
        }
        if (t.type == task_type::command && t.command.empty()) {
          ctx.report(w.mark(), w.path + ".command", "missing required key for a command task");
        }
        if (t.type == task_type::cql && t.statements.empty()) {
          ctx.report(w.mark(), w.path + ".statements", "missing required key for a cql task");
        }
        if (t.retries && (*t.retries < 0 || *t.retries > 1000)) {
          ctx.report(schema::mark_at(w.node, {"retries"}, w.mark()), w.path + ".retries",
                     "expected 0 to 1000, got " + std::to_string(*t.retries));
        }
      }};
  return s;
}

const object_spec<dag>& spec_for(dag*) {
  static const object_spec<dag> s{
      {
          make_field("id", &dag::id, "DAG id, unique.", {.required = true}),
          make_field("description", &dag::description, "Shown by `sluice dags` and the REST API."),
          make_field("schedule", &dag::schedule,
                     "When runs fire: a preset (`@once`, `@hourly`, `@daily`, `@weekly`, "
                     "`@monthly`, `@yearly`) or five cron fields, in UTC; empty: only manual "
                     "triggers. A run covers a data interval and fires once it has ended."),
          make_field("start_date", &dag::start_date,
                     "First instant a scheduled run's interval may start (ISO 8601, UTC unless a "
                     "zone is given).",
                     {.default_text = "none (required with `catchup`)"}),
          make_field("end_date", &dag::end_date,
                     "No scheduled run's interval starts after it (ISO 8601).",
                     {.default_text = "none"}),
          make_field("catchup", &dag::catchup,
                     "Run every interval since `start_date` that has no run (true), or only the "
                     "latest complete one (false)."),
          make_field("max_active_runs", &dag::max_active_runs,
                     "Runs of this DAG queued or running at once; further scheduled runs wait."),
          make_field("paused", &dag::paused,
                     "Start paused when the scheduler first sees the DAG (later changes are made "
                     "with `sluice dags pause|unpause` or the REST API)."),
          make_field("params", &dag::params,
                     "Values for `{{ params.NAME }}` templates; a triggered run's conf overrides "
                     "them."),
          make_field("default_args", &dag::default_args, "Retry and timeout policy of its tasks."),
          make_field("tasks", &dag::tasks, "The DAG's tasks."),
      },
      check_dag};
  return s;
}

const object_spec<scheduler_section>& spec_for(scheduler_section*) {
  static const object_spec<scheduler_section> s{
      {
          make_field("poll_interval", &scheduler_section::poll_interval,
                     "Longest wait between two scheduling passes; a finished task or a trigger "
                     "through the REST API starts a pass at once."),
          make_field("parallelism", &scheduler_section::parallelism,
                     "Task tries one scheduler runs at once."),
          make_field("heartbeat_timeout", &scheduler_section::heartbeat_timeout,
                     "A scheduler not heard from for this long is presumed dead: its running "
                     "tries fail and are retried by the others (or by it after a restart)."),
          make_field("log_max_bytes", &scheduler_section::log_max_bytes,
                     "Largest log kept for one try; the middle of a longer one is left out."),
      },
      [](const where& w, schema::context& ctx, scheduler_section& sc) {
        if (sc.parallelism < 1 || sc.parallelism > 1024) {
          ctx.report(schema::mark_at(w.node, {"parallelism"}, w.mark()), w.path + ".parallelism",
                     "expected 1 to 1024, got " + std::to_string(sc.parallelism));
        }
        if (sc.poll_interval.count() <= 0) {
          ctx.report(schema::mark_at(w.node, {"poll_interval"}, w.mark()),
                     w.path + ".poll_interval", "expected a positive duration");
        }
        if (sc.log_max_bytes < 4096) {
          ctx.report(schema::mark_at(w.node, {"log_max_bytes"}, w.mark()),
                     w.path + ".log_max_bytes", "expected at least 4096");
        }
      }};
  return s;
}

namespace {

void check_config(const where& w, schema::context& ctx, config& c) {
  std::set<std::string> names;
  for (size_t i = 0; i < c.pipelines.size(); ++i) {
    if (!names.insert(c.pipelines[i].name).second) {
      ctx.report(schema::mark_at(w.node, {"pipelines", i, "name"}, w.mark()),
                 fmt::format("pipelines[{}].name", i),
                 "duplicate pipeline name '" + c.pipelines[i].name + "'");
    }
  }
  std::set<std::string> dag_ids;
  for (size_t i = 0; i < c.dags.size(); ++i) {
    if (!dag_ids.insert(c.dags[i].id).second) {
      ctx.report(schema::mark_at(w.node, {"dags", i, "id"}, w.mark()),
                 fmt::format("dags[{}].id", i), "duplicate DAG id '" + c.dags[i].id + "'");
    }
    for (size_t t = 0; t < c.dags[i].tasks.size(); ++t) {
      const std::string& p = c.dags[i].tasks[t].pipeline;
      const task& tk = c.dags[i].tasks[t];
      auto pl = std::find_if(c.pipelines.begin(), c.pipelines.end(),
                             [&](const pipeline& x) { return x.name == p; });
      if (pl != c.pipelines.end() && ((tk.type == task_type::ingest && !pl->ingest) ||
                                      (tk.type == task_type::process && !pl->process))) {
        ctx.report(schema::mark_at(w.node, {"dags", i, "tasks", t, "pipeline"}, w.mark()),
                   fmt::format("dags[{}].tasks[{}].pipeline", i, t),
                   fmt::format("pipeline '{}' has no {} stage", p, schema::render(tk.type)));
      }
      if (!p.empty() && !names.contains(p)) {
        ctx.report(schema::mark_at(w.node, {"dags", i, "tasks", t, "pipeline"}, w.mark()),
                   fmt::format("dags[{}].tasks[{}].pipeline", i, t),
                   "unknown pipeline '" + p + "'");
      }
    }
  }
}

}  // namespace

const object_spec<config>& spec_for(config*) {
  static const object_spec<config> s{
      {
          make_field("data_dir", &config::data_dir,
                     "Root of all persistent state; each part keeps a subdirectory. Relative paths "
                     "are relative to the working directory."),
          make_field("log", &config::log, "Logging."),
          make_field("broker", &config::broker, "The embedded Kafka-compatible broker."),
          make_field("kafka", &config::kafka, "Where the pipeline finds Kafka."),
          make_field("store", &config::store, "The embedded CQL-compatible table store."),
          make_field("cassandra", &config::cassandra, "Where the pipeline finds Cassandra."),
          make_field("api", &config::api, "The built-in random-user API."),
          make_field("http", &config::http, "sluice's own HTTP listener."),
          make_field("metadata", &config::metadata, "The scheduler's metadata database."),
          make_field("scheduler", &config::scheduler, "The DAG scheduler."),
          make_field("pipelines", &config::pipelines,
                     "Data pipelines: HTTP API -> Kafka topic -> CQL table."),
          make_field("dags", &config::dags, "Scheduled workflows (Airflow-style DAGs)."),
      },
      check_config};
  return s;
}

}  // namespace sluice::config
