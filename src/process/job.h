// The stream processor: consumes a topic in a consumer group (librdkafka), decodes each record
// against the record schema (decoder.h), and upserts it into a CQL table (sink.h), like the
// Spark Structured Streaming job of the classic pipeline.
//
// Guarantees. A partition's offset is committed only once every earlier record of it is done:
// written and acknowledged by the table, filtered out, or acknowledged by the dead-letter topic
// (offsets.h). A crash therefore replays records but never skips one, and since writes are
// upserts by primary key a replay writes the same rows again (effectively exactly once). Records
// that cannot become rows, and rows the table refuses, go to the dead-letter topic with the reason
// and their source topic, partition and offset in headers; the job goes on. Writes that fail for a
// passing reason (the node restarting, timeouts) are retried with backoff until they succeed or
// the job stops. Several instances with the same group share the partitions; a revoked
// partition's writes are drained and its offset committed before it is handed over.
//
// Stopping: `stop` ends consumption; in-flight writes are drained (up to drain_timeout; what is
// left is replayed later), offsets committed, and the group left. With until_caught_up the job
// ends by itself once every assigned partition has been read to its end and everything is done,
// like Spark's availableNow trigger.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"
#include "process/decoder.h"
#include "process/sink.h"

namespace sluice::process {

struct job_options {
  std::string bootstrap;  // host:port[,host:port...]
  std::string topic = "users_created";
  std::string group = "sluice-users";
  bool from_earliest = true;      // where a group without committed offsets starts
  std::string dead_letter_topic;  // empty: <topic>.dlq
  record_schema schema = reference_schema();
  sink_options sink;
  size_t max_in_flight = 2048;  // writes unanswered at once
  // Records read ahead and not yet taken, at most. librdkafka 2.0 pauses a partition whose
  // read-ahead is full for a second, so this should hold about a second of the table's write rate.
  int64_t fetch_buffer_bytes = 64 << 20;
  std::chrono::milliseconds commit_interval{1000};
  std::chrono::milliseconds drain_timeout{30'000};
  std::chrono::milliseconds retry_backoff{100};  // doubles per retry of a write, up to 5 s
  bool until_caught_up = false;
  std::chrono::milliseconds progress_interval{1000};  // how often `progress` is called
  std::string client_id = "sluice-process";
  // Called once the table is ready and the topic subscribed (before any record is read).
  std::function<void()> on_ready;
};

struct job_progress {
  int64_t consumed = 0;       // records taken from the topic
  int64_t written = 0;        // rows acknowledged by the table
  int64_t filtered = 0;       // records the filter left out
  int64_t dead_lettered = 0;  // records acknowledged by the dead-letter topic
  int64_t retries = 0;        // writes tried again
  int64_t extra_fields = 0;   // records with fields the schema does not read
  int64_t lag = 0;            // records in assigned partitions not yet consumed
  int32_t partitions = 0;     // assigned to this instance
  double p50_ms = 0;          // record timestamp to row written, over the last interval
  double p99_ms = 0;
  double seconds = 0;
};

struct job_result {
  job_progress totals;
  double p50_ms = 0;  // over the whole run
  double p99_ms = 0;
  bool stopped = false;  // ended by a stop request
  std::string failure;   // why the job failed; empty: it succeeded
  [[nodiscard]] bool ok() const { return failure.empty(); }
};

// Runs until `stop` (or caught up). `progress` (optional) is called about every progress_interval
// from the job's thread. An error is returned only when the job cannot start (bad schema, no table
// store, a table that does not match the schema, bad consumer settings).
result<job_result> run_job(const job_options& o, const std::atomic<bool>& stop,
                           const std::function<void(const job_progress&)>& progress = {});

}  // namespace sluice::process
