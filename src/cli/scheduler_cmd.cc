// `sluice scheduler`, and what it shares with `sluice up` and `sluice dags`: the scheduler's
// settings from the config, and the built-in task types (ingest, process, cql) as runners.
#include <fmt/core.h>

#include "base/log.h"
#include "cli/commands.h"
#include "cli/pipeline_services.h"
#include "cql/client.h"
#include "orchestrator/templates.h"

namespace sluice::cli {

namespace {

orchestrator::try_outcome ingest_task(const config::config& c, progress_board* board,
                                      const orchestrator::try_context& t,
                                      const std::atomic<bool>& cancel,
                                      orchestrator::log_buffer& log) {
  const auto* p = c.pipeline_named(t.task.pipeline);
  if (p == nullptr || !p->ingest) {
    return {orchestrator::try_outcome::failed, "no ingest stage in pipeline " + t.task.pipeline};
  }
  auto o = ingest_job_from(c, *p->ingest);
  log.note(fmt::format("ingest {} -> {} (topic {})", o.url, o.bootstrap, o.topic));
  auto note = [&](const ingest::job_progress& g) {
    log.note(fmt::format("{} fetched, {} produced, {} requests, {} retries", g.fetched, g.produced,
                         g.requests, g.retries));
  };
  auto r = board ? run_reported_ingest("ingest/" + p->name, o, cancel, *board, note)
                 : ingest::run_job(o, cancel, note);
  if (!r) return {orchestrator::try_outcome::failed, r.error().message};
  const auto& x = r->totals;
  log.note(fmt::format("done: {} produced in {:.1f} s ({} fetched, {} bad, {} failed)", x.produced,
                       x.seconds, x.fetched, x.bad, x.failed));
  if (!r->ok()) return {orchestrator::try_outcome::failed, r->failure};
  return {orchestrator::try_outcome::success, ""};
}

orchestrator::try_outcome process_task(const config::config& c, const orchestrator::try_context& t,
                                       const std::atomic<bool>& cancel,
                                       orchestrator::log_buffer& log) {
  const auto* p = c.pipeline_named(t.task.pipeline);
  if (p == nullptr || !p->process) {
    return {orchestrator::try_outcome::failed, "no process stage in pipeline " + t.task.pipeline};
  }
  auto o = process_job_from(c, *p);
  if (!o) return {orchestrator::try_outcome::failed, o.error().message};
  o->until_caught_up = true;
  log.note(fmt::format("process {} -> {}.{} until caught up", o->topic, o->sink.keyspace,
                       o->sink.table));
  auto r = process::run_job(*o, cancel, [&](const process::job_progress& g) {
    log.note(fmt::format("{} consumed, {} written, {} dead-lettered, lag {}", g.consumed, g.written,
                         g.dead_lettered, g.lag));
  });
  if (!r) return {orchestrator::try_outcome::failed, r.error().message};
  const auto& x = r->totals;
  log.note(fmt::format("done: {} written, {} filtered, {} dead-lettered in {:.1f} s", x.written,
                       x.filtered, x.dead_lettered, x.seconds));
  if (!r->ok()) return {orchestrator::try_outcome::failed, r->failure};
  return {orchestrator::try_outcome::success, ""};
}

orchestrator::try_outcome cql_task(const config::config& c, const orchestrator::try_context& t,
                                   const std::atomic<bool>& cancel, orchestrator::log_buffer& log) {
  auto vars = orchestrator::variables_of(t);
  if (!vars) return {orchestrator::try_outcome::failed, vars.error().message};
  cql::client_options o;
  o.contact_points = cql_contact_points(c);
  o.username = c.cassandra.username;
  o.password = c.cassandra.password;
  auto session = cql::session::connect(o);
  if (!session) return {orchestrator::try_outcome::failed, session.error().message};
  for (size_t i = 0; i < t.task.statements.size(); ++i) {
    if (cancel.load()) return {orchestrator::try_outcome::failed, "cancelled"};
    auto text = orchestrator::render_template(t.task.statements[i], *vars);
    if (!text) return {orchestrator::try_outcome::failed, text.error().message};
    log.note(fmt::format("statement {}: {}", i + 1, *text));
    auto r = (*session)->execute(*text);
    if (!r) {
      return {orchestrator::try_outcome::failed,
              fmt::format("statement {}: {}", i + 1, r.error().message)};
    }
    if (r->kind == cql::result_kind::rows) {
      log.note(fmt::format("{} row(s)", r->rows.cells.size() /
                                            std::max<size_t>(1, r->rows.metadata.columns.size())));
    } else {
      log.note("ok");
    }
  }
  return {orchestrator::try_outcome::success, ""};
}

}  // namespace

orchestrator::runners task_runners_from(const config::config& c,
                                        std::shared_ptr<progress_board> board) {
  // The runners outlive any try; they keep their own copy of the config.
  auto shared = std::make_shared<const config::config>(c);
  return orchestrator::runners{
      .ingest = [shared, board](
                    const auto& t, const auto& cancel,
                    auto& log) { return ingest_task(*shared, board.get(), t, cancel, log); },
      .process = [shared](const auto& t, const auto& cancel,
                          auto& log) { return process_task(*shared, t, cancel, log); },
      .cql = [shared](const auto& t, const auto& cancel,
                      auto& log) { return cql_task(*shared, t, cancel, log); },
  };
}

result<orchestrator::service_options> scheduler_service_from(
    const config::config& c, bool http, std::shared_ptr<progress_board> board) {
  auto dags = orchestrator::compile(c.dags);
  if (!dags) return std::unexpected(dags.error());
  orchestrator::service_options o;
  o.metadata_url = c.metadata_url();
  o.dags = std::move(*dags);
  o.scheduler.parallelism = c.scheduler.parallelism;
  o.scheduler.heartbeat_timeout = c.scheduler.heartbeat_timeout;
  o.poll_interval = c.scheduler.poll_interval;
  o.log_max_bytes = static_cast<size_t>(c.scheduler.log_max_bytes);
  o.task_runners = task_runners_from(c, std::move(board));
  if (http) o.http = c.http.listen;
  return o;
}

int run_scheduler(const global_options& g, const scheduler_cli_options& o) {
  stop_signal stop;  // before any thread starts
  auto c = load_config(g);
  if (!c) return c.error();
  if (!o.data_dir.empty()) c->data_dir = o.data_dir;
  if (!o.metadata_url.empty()) c->metadata.url = o.metadata_url;
  if (!o.http.empty()) {
    auto hp = config::host_port::parse(o.http);
    if (!hp) {
      fmt::print(stderr, "sluice scheduler: --http: {}\n", hp.error().message);
      return exit_usage;
    }
    c->http.listen = *hp;
  }
  auto opts = scheduler_service_from(*c, !o.no_http);
  if (!opts) {
    fmt::print(stderr, "sluice scheduler: {}\n", opts.error().message);
    return exit_usage;
  }
  orchestrator::scheduler_service s(std::move(*opts));
  if (auto r = s.start(); !r) {
    fmt::print(stderr, "sluice scheduler: {}\n", r.error().message);
    return exit_failure;
  }
  fmt::print("scheduler ready: {} DAG(s){}\n", c->dags.size(),
             o.no_http ? "" : ", REST API " + s.endpoint());
  std::fflush(stdout);
  const int sig = stop.wait();
  log::get("scheduler")->info("{}, stopping", sig == 0 ? "stop requested" : strsignal(sig));
  s.stop();
  return exit_ok;
}

}  // namespace sluice::cli
