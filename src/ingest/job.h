// The ingestion job: fetch users from an HTTP API, turn each into the pipeline's record
// (mapping.h) and produce it to a Kafka topic through librdkafka (acks=all, idempotence, lz4,
// batching), bounded by a count and/or a duration, always flushed before it ends.
//
// Fetchers run concurrently and share a budget of records, so a job asked for N produces exactly
// N (records an answer lacks values for are counted and made up by further requests). Requests
// are retried (fetcher.h); one that fails every retry fails the job. The job also fails when any
// record is not acknowledged by the broker, or when it produced nothing though it should have: a
// failure is never reported as success. A stop request (SIGTERM) ends fetching, flushes what was
// fetched, and reports it. librdkafka stays in job.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "ingest/fetcher.h"
#include "ingest/mapping.h"

namespace sluice::ingest {

struct job_options {
  std::string url;  // the API; results, page and seed are added to its query
  std::string records_path = "results";
  int results_per_request = 5000;
  int concurrency = 2;    // requests in flight
  double rate_limit = 0;  // requests a second across the job; 0: none
  fetch_options fetch;
  std::string bootstrap;  // host:port[,host:port...]
  std::string topic;
  int64_t count = 0;                           // records to produce; 0: until the duration
  std::chrono::milliseconds duration{60'000};  // 0: until the count
  std::vector<field_template> mapping = reference_templates();
  std::string seed;  // the API's seed; empty: a fresh one per job
  // librdkafka's compression.type for the batches produced: none, gzip, snappy, lz4, zstd.
  std::string compression = "none";
};

struct job_progress {
  int64_t fetched = 0;   // records received from the API
  int64_t produced = 0;  // records acknowledged by the broker
  int64_t failed = 0;    // records the broker refused
  int64_t bad = 0;       // records the mapping refused
  int64_t requests = 0;
  int64_t retries = 0;
  int64_t timeouts = 0;
  int64_t http_errors = 0;
  int64_t unusable = 0;
  double seconds = 0;
};

struct job_result {
  job_progress totals;
  bool stopped = false;  // ended by a stop request
  std::string failure;   // why the job failed; empty: it succeeded
  [[nodiscard]] bool ok() const { return failure.empty(); }
};

// Runs the job to its end. `progress` (optional) is called about once a second.
// An error is returned only when the job cannot start (bad mapping, bad producer settings).
result<job_result> run_job(const job_options& o, const std::atomic<bool>& stop,
                           const std::function<void(const job_progress&)>& progress = {});

}  // namespace sluice::ingest
