// `sluice process`: the stream processor alone (Kafka topic -> CQL table), from a pipeline's
// `process` stage in the config and the flags; runs until SIGINT/SIGTERM (or, with
// --until-caught-up, until every assigned partition is read), then prints a summary.
#include <unistd.h>

#include <cstdio>
#include <thread>

#include <fmt/core.h>

#include "base/lifecycle.h"
#include "cli/commands.h"

namespace sluice::cli {

int run_process(const global_options& g, const process_cli_options& f) {
  stop_signal signals;
  auto c = load_config(g);
  if (!c) return c.error();
  const config::pipeline* stage = nullptr;
  for (const auto& p : c->pipelines) {
    if (p.process && (f.pipeline.empty() || p.name == f.pipeline)) {
      stage = &p;
      break;
    }
  }
  if (!stage) {
    fmt::print(stderr, "sluice process: {}\n",
               f.pipeline.empty() ? "the config has no pipeline with a process stage"
                                  : "no pipeline named '" + f.pipeline + "' has a process stage");
    return exit_usage;
  }
  auto o = process_job_from(*c, *stage);
  if (!o) {
    fmt::print(stderr, "sluice process: {}\n", o.error().message);
    return exit_usage;
  }
  if (!f.bootstrap.empty()) o->bootstrap = f.bootstrap;
  if (!f.cql.empty()) {
    o->sink.client.contact_points.clear();
    size_t start = 0;
    while (start <= f.cql.size()) {
      const size_t comma = f.cql.find(',', start);
      const std::string one =
          f.cql.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!one.empty()) o->sink.client.contact_points.push_back(one);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (!f.topic.empty()) o->topic = f.topic;
  if (!f.group.empty()) o->group = f.group;
  if (!f.from.empty()) {
    if (f.from != "earliest" && f.from != "latest") {
      fmt::print(stderr, "sluice process: --from: expected earliest or latest, got '{}'\n", f.from);
      return exit_usage;
    }
    o->from_earliest = f.from == "earliest";
  }
  if (!f.keyspace.empty()) o->sink.keyspace = f.keyspace;
  if (!f.table.empty()) o->sink.table = f.table;
  if (!f.dead_letter_topic.empty()) o->dead_letter_topic = f.dead_letter_topic;
  o->until_caught_up = f.until_caught_up;

  const bool terminal = isatty(STDERR_FILENO) != 0;
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    signals.wait();
    stop = true;
  });
  auto r = process::run_job(*o, stop, [&](const process::job_progress& p) {
    if (!terminal) return;
    fmt::print(stderr,
               "\r{} written ({:.0f}/s), {} dead-lettered, lag {}, {} partition(s), "
               "p99 {:.1f} ms   ",
               p.written, p.seconds > 0 ? p.written / p.seconds : 0.0, p.dead_lettered, p.lag,
               p.partitions, p.p99_ms);
  });
  signals.request_stop();
  watcher.join();
  if (terminal) fmt::print(stderr, "\n");
  if (!r) {
    fmt::print(stderr, "sluice process: {}\n", r.error().message);
    return exit_failure;
  }
  const auto& t = r->totals;
  fmt::print(
      "{} {} records of {} consumed in {:.1f} s: {} written to {}.{} ({:.0f}/s), {} filtered, "
      "{} dead-lettered, {} write retries, {} with unread fields; record to row p50 {:.1f} ms, "
      "p99 {:.1f} ms\n",
      r->ok() ? (r->stopped ? "stopped:" : "done:") : "failed:", t.consumed, o->topic, t.seconds,
      t.written, o->sink.keyspace, o->sink.table, t.seconds > 0 ? t.written / t.seconds : 0.0,
      t.filtered, t.dead_lettered, t.retries, t.extra_fields, r->p50_ms, r->p99_ms);
  std::fflush(stdout);
  if (!r->ok()) {
    fmt::print(stderr, "sluice process: {}\n", r->failure);
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace sluice::cli
