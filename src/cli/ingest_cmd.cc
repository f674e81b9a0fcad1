// `sluice ingest`: the ingestion job alone (HTTP API -> Kafka topic), from a pipeline's `ingest`
// stage in the config and the flags; prints progress on a terminal and a summary at the end.
#include <unistd.h>

#include <cstdio>
#include <thread>

#include <fmt/core.h>

#include "base/lifecycle.h"
#include "cli/commands.h"
#include "config/schema.h"
#include "ingest/job.h"

namespace sluice::cli {
namespace {

std::optional<std::chrono::milliseconds> duration_flag(std::string_view flag,
                                                       const std::string& text, bool& ok) {
  if (text.empty()) return std::nullopt;
  auto d = config::schema::parse_duration(text);
  if (!d) {
    fmt::print(stderr, "sluice ingest: {}: expected a duration such as 60s, got '{}'\n", flag,
               text);
    ok = false;
  }
  return d;
}

}  // namespace

int run_ingest(const global_options& g, const ingest_options& f) {
  stop_signal signals;
  auto c = load_config(g);
  if (!c) return c.error();
  // The pipeline's ingest stage: the one named, else the first.
  const config::ingest_section* stage = nullptr;
  for (const auto& p : c->pipelines) {
    if (p.ingest && (f.pipeline.empty() || p.name == f.pipeline)) {
      stage = &*p.ingest;
      break;
    }
  }
  if (!f.pipeline.empty() && !stage) {
    fmt::print(stderr, "sluice ingest: no pipeline named '{}' has an ingest stage\n", f.pipeline);
    return exit_usage;
  }
  const config::ingest_section defaults;
  if (!stage) stage = &defaults;

  ingest::job_options o = ingest_job_from(*c, *stage);
  if (!f.url.empty()) o.url = f.url;
  if (!f.topic.empty()) o.topic = f.topic;
  if (f.count >= 0) o.count = f.count;
  if (!f.bootstrap.empty()) o.bootstrap = f.bootstrap;
  if (!f.seed.empty()) o.seed = f.seed;
  bool ok = true;
  if (auto d = duration_flag("--duration", f.duration, ok)) o.duration = *d;
  if (auto d = duration_flag("--timeout", f.timeout, ok)) o.fetch.timeout = *d;
  if (auto d = duration_flag("--retry-backoff", f.retry_backoff, ok)) o.fetch.backoff = *d;
  if (!ok) return exit_usage;
  if (f.count >= 0 && f.duration.empty()) o.duration = std::chrono::milliseconds(0);
  if (f.concurrency > 0) o.concurrency = f.concurrency;
  if (f.results_per_request > 0) o.results_per_request = f.results_per_request;
  if (f.retries >= 0) o.fetch.max_retries = f.retries;
  if (f.rate_limit >= 0) o.rate_limit = f.rate_limit;

  const bool terminal = isatty(STDERR_FILENO) != 0;
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    signals.wait();
    stop = true;
  });
  auto r = ingest::run_job(o, stop, [&](const ingest::job_progress& p) {
    if (!terminal) return;
    fmt::print(stderr, "\r{} produced ({:.0f}/s), {} fetched, {} retries   ", p.produced,
               p.seconds > 0 ? p.produced / p.seconds : 0.0, p.fetched, p.retries);
  });
  signals.request_stop();
  watcher.join();
  if (terminal) fmt::print(stderr, "\n");
  if (!r) {
    fmt::print(stderr, "sluice ingest: {}\n", r.error().message);
    return exit_usage;
  }
  const auto& t = r->totals;
  fmt::print(
      "{} {} records to {} in {:.1f} s ({:.0f}/s): {} fetched in {} requests, {} retries "
      "({} timeouts, {} HTTP errors, {} unusable answers), {} records refused by the "
      "mapping, {} not acknowledged\n",
      r->ok() ? (r->stopped ? "stopped:" : "done:") : "failed:", t.produced, o.topic, t.seconds,
      t.seconds > 0 ? t.produced / t.seconds : 0.0, t.fetched, t.requests, t.retries, t.timeouts,
      t.http_errors, t.unusable, t.bad, t.failed);
  std::fflush(stdout);
  if (!r->ok()) {
    fmt::print(stderr, "sluice ingest: {}\n", r->failure);
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace sluice::cli
