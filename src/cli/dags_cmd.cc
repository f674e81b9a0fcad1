// `sluice dags ...`: DAG administration straight on the metadata database, as Airflow's CLI does,
// so it works whether or not a scheduler is running (triggered runs wait, queued, for one).
#include <fmt/core.h>

#include <thread>

#include "cli/commands.h"
#include "cli/table.h"
#include "orchestrator/scheduler.h"
#include "orchestrator/state.h"

namespace sluice::cli {

namespace {

using namespace orchestrator;

int fail(std::string_view what) {
  fmt::print(stderr, "sluice dags: {}\n", what);
  return exit_failure;
}

std::string type_name(config::task_type t) {
  switch (t) {
    case config::task_type::ingest: return "ingest";
    case config::task_type::process: return "process";
    case config::task_type::command: return "command";
    case config::task_type::cql: return "cql";
  }
  return "?";
}

std::string when(std::optional<time_point> t) { return t ? schedule::format_iso(*t) : "-"; }

std::string duration(std::optional<time_point> a, std::optional<time_point> b) {
  if (!a || !b) return "-";
  return fmt::format("{:.1f}s", std::chrono::duration<double>(*b - *a).count());
}

struct session {
  config::config cfg;
  std::vector<dag_def> dags;
  std::unique_ptr<state_store> db;
  system_clock clock;

  const dag_def* find(std::string_view id) const {
    for (const auto& d : dags) {
      if (d.id == id) return &d;
    }
    return nullptr;
  }
};

int list(session& s) {
  auto rows = s.db->dags();
  if (!rows) return fail(rows.error().message);
  table t{{"DAG", "SCHEDULE", "PAUSED", "TASKS", "LAST RUN", "STATE", "DESCRIPTION"}};
  for (const auto& r : *rows) {
    const dag_def* d = s.find(r.dag_id);
    if (d == nullptr) continue;
    auto last = s.db->runs(r.dag_id, std::nullopt, 1, 0);
    if (!last) return fail(last.error().message);
    t.push_back({d->id, d->timetable.text().empty() ? "(manual)" : d->timetable.text(),
                 r.is_paused ? "yes" : "no", std::to_string(d->tasks.size()),
                 last->empty() ? "-" : last->front().run_id,
                 last->empty() ? "-" : std::string(name(last->front().state)), d->description});
  }
  print_table(t);
  return exit_ok;
}

int show(session& s, const dag_def& d) {
  auto row = s.db->dag(d.id);
  if (!row) return fail(row.error().message);
  fmt::print("dag_id:          {}\n", d.id);
  if (!d.description.empty()) fmt::print("description:     {}\n", d.description);
  fmt::print("schedule:        {}\n", d.timetable.text().empty() ? "(manual)" : d.timetable.text());
  fmt::print("start_date:      {}\n", when(d.start_date));
  fmt::print("catchup:         {}\n", d.catchup ? "true" : "false");
  fmt::print("max_active_runs: {}\n", d.max_active_runs);
  fmt::print("paused:          {}\n", *row && (*row)->is_paused ? "yes" : "no");
  fmt::print("\n");
  table t{{"TASK", "TYPE", "UPSTREAM", "RETRIES", "RETRY DELAY", "TIMEOUT", "RUNS"}};
  for (size_t i : d.order) {
    const task_def& k = d.tasks[i];
    std::string up;
    for (size_t u : k.upstream) up += (up.empty() ? "" : ",") + d.tasks[u].id;
    std::string what = k.type == config::task_type::command ? k.command
                       : k.type == config::task_type::cql
                           ? fmt::format("{} statement(s)", k.statements.size())
                           : "pipeline " + k.pipeline;
    t.push_back({k.id, type_name(k.type), up.empty() ? "-" : up, std::to_string(k.policy.retries),
                 config::format_duration(k.policy.retry_delay),
                 k.policy.execution_timeout.count()
                     ? config::format_duration(k.policy.execution_timeout)
                     : "-",
                 what});
  }
  print_table(t);
  return exit_ok;
}

bool scheduler_alive(session& s) {
  auto all = s.db->schedulers();
  if (!all) return false;
  for (const auto& r : *all) {
    if (s.clock.now() - r.heartbeat_at < s.cfg.scheduler.heartbeat_timeout) return true;
  }
  return false;
}

int trigger(session& s, const dag_def& d, const dags_options& o) {
  trigger_request req{.dag_id = d.id, .run_id = o.run_id, .conf = o.conf.empty() ? "{}" : o.conf};
  if (!o.logical_date.empty()) {
    auto t = schedule::parse_iso(o.logical_date);
    if (!t) return fail("--logical-date: " + t.error().message);
    req.logical_date = *t;
  }
  auto run = trigger_run(*s.db, d, req, s.clock.now());
  if (!run) return fail(run.error().message);
  fmt::print("triggered {} {}: logical date {}, data interval {} .. {}, {}\n", d.id, run->run_id,
             schedule::format_iso(run->logical_date), schedule::format_iso(run->interval.start),
             schedule::format_iso(run->interval.end), name(run->state));
  if (!scheduler_alive(s)) {
    fmt::print(stderr,
               "note: no scheduler is running on {}; the run waits until one starts "
               "(sluice scheduler, or sluice up)\n",
               s.db->target());
  }
  return exit_ok;
}

int runs(session& s, const dag_def& d, const dags_options& o) {
  std::optional<run_state> state;
  if (!o.state.empty()) {
    state = parse_run_state(o.state);
    if (!state) return fail("--state: queued, running, success or failed");
  }
  auto rs = s.db->runs(d.id, state, o.limit, 0);
  if (!rs) return fail(rs.error().message);
  table t{{"RUN", "TYPE", "STATE", "LOGICAL DATE", "START", "END", "DURATION"}};
  for (const auto& r : *rs) {
    t.push_back({r.run_id, std::string(name(r.type)), std::string(name(r.state)),
                 schedule::format_iso(r.logical_date), when(r.start_date), when(r.end_date),
                 duration(r.start_date, r.end_date)});
  }
  print_table(t);
  return exit_ok;
}

int tasks(session& s, const dag_def& d, const dags_options& o) {
  auto run = s.db->run(d.id, o.run_id);
  if (!run) return fail(run.error().message);
  if (!*run) return fail(fmt::format("DAG {} has no run '{}'", d.id, o.run_id));
  auto ts = s.db->tasks(d.id, o.run_id);
  if (!ts) return fail(ts.error().message);
  table t{{"TASK", "STATE", "TRY", "MAX TRIES", "START", "END", "DURATION", "HOST"}};
  for (size_t i : d.order) {
    for (const auto& x : *ts) {
      if (x.key.task_id != d.tasks[i].id) continue;
      t.push_back({x.key.task_id, std::string(name(x.state)), std::to_string(x.try_number),
                   std::to_string(x.max_tries), when(x.start_date), when(x.end_date),
                   duration(x.start_date, x.end_date), x.hostname.empty() ? "-" : x.hostname});
    }
  }
  print_table(t);
  return exit_ok;
}

int logs(session& s, const dag_def& d, const dags_options& o) {
  const task_key key{d.id, o.run_id, o.task};
  auto all = s.db->tries(key);
  if (!all) return fail(all.error().message);
  if (all->empty()) {
    return fail(fmt::format("task {} of run {} has no tries yet", o.task, o.run_id));
  }
  const try_row* pick = &all->back();
  if (o.try_number > 0) {
    pick = nullptr;
    for (const auto& t : *all) {
      if (t.try_number == o.try_number) pick = &t;
    }
    if (pick == nullptr) {
      return fail(fmt::format("no try {} (tries so far: {})", o.try_number, all->size()));
    }
  }
  fmt::print("# {} {} {} try {}: {}{}\n", d.id, o.run_id, o.task, pick->try_number, pick->state,
             pick->reason.empty() ? "" : " (" + pick->reason + ")");
  fmt::print("{}", pick->log);
  if (!pick->log.empty() && pick->log.back() != '\n') fmt::print("\n");
  return exit_ok;
}

int backfill(session& s, const dag_def& d, const dags_options& o) {
  auto from = schedule::parse_iso(o.from);
  if (!from) return fail("--from: " + from.error().message);
  auto to = schedule::parse_iso(o.to);
  if (!to) return fail("--to: " + to.error().message);
  auto created = backfill_runs(*s.db, d, *from, *to, o.conf.empty() ? "{}" : o.conf, s.clock.now());
  if (!created) return fail(created.error().message);
  fmt::print("backfill {}: {} run(s) created\n", d.id, created->size());
  for (const auto& r : *created) fmt::print("  {}\n", r.run_id);
  if (o.create_only || created->empty()) return exit_ok;
  // Run them here, as Airflow's backfill does, beside any running scheduler.
  executor ex(task_runners_from(s.cfg), static_cast<size_t>(s.cfg.scheduler.log_max_bytes));
  scheduler sched({.parallelism = s.cfg.scheduler.parallelism,
                   .heartbeat_timeout = s.cfg.scheduler.heartbeat_timeout,
                   .backfill_only = d.id},
                  s.dags, *s.db, ex, s.clock);
  if (auto r = sched.start(); !r) return fail(r.error().message);
  size_t failed = 0;
  while (true) {
    if (auto r = sched.tick(); !r) return fail(r.error().message);
    size_t done = 0;
    failed = 0;
    for (const auto& c : *created) {
      auto run = s.db->run(d.id, c.run_id);
      if (!run) return fail(run.error().message);
      if (*run && ((*run)->state == run_state::success || (*run)->state == run_state::failed)) {
        ++done;
        failed += (*run)->state == run_state::failed;
      }
    }
    if (done == created->size()) break;
    ex.wait(std::chrono::milliseconds(200));
  }
  (void)sched.stop();
  fmt::print("backfill {}: {} succeeded, {} failed\n", d.id, created->size() - failed, failed);
  return failed == 0 ? exit_ok : exit_failure;
}

}  // namespace

int run_dags(const global_options& g, const dags_options& o) {
  auto c = load_config(g);
  if (!c) return c.error();
  if (!o.data_dir.empty()) c->data_dir = o.data_dir;
  if (!o.metadata_url.empty()) c->metadata.url = o.metadata_url;
  session s;
  s.cfg = *c;
  auto dags = compile(c->dags);
  if (!dags) return fail(dags.error().message);
  s.dags = std::move(*dags);
  auto db = state_store::open(c->metadata_url());
  if (!db) return fail(db.error().message);
  s.db = std::move(*db);
  if (auto r = s.db->sync_dags(s.dags, s.clock.now()); !r) return fail(r.error().message);
  if (o.action == dags_options::list) return list(s);
  const dag_def* d = s.find(o.dag);
  if (d == nullptr) {
    std::string known;
    for (const auto& x : s.dags) known += (known.empty() ? "" : ", ") + x.id;
    fmt::print(stderr, "sluice dags: no DAG '{}' in the config (DAGs: {})\n", o.dag,
               known.empty() ? "none" : known);
    return exit_usage;
  }
  switch (o.action) {
    case dags_options::show: return show(s, *d);
    case dags_options::trigger: return trigger(s, *d, o);
    case dags_options::pause:
    case dags_options::unpause: {
      const bool paused = o.action == dags_options::pause;
      if (auto r = s.db->set_paused(d->id, paused); !r) return fail(r.error().message);
      fmt::print("{} {}\n", d->id, paused ? "paused" : "unpaused");
      return exit_ok;
    }
    case dags_options::runs: return runs(s, *d, o);
    case dags_options::tasks: return tasks(s, *d, o);
    case dags_options::logs: return logs(s, *d, o);
    case dags_options::backfill: return backfill(s, *d, o);
    case dags_options::list: break;
  }
  return list(s);
}

}  // namespace sluice::cli
