#include "orchestrator/scheduler.h"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <random>

#include "base/log.h"
#include "metadb/metadb.h"
#include "orchestrator/rest_body.h"

namespace sluice::orchestrator {

time_point system_clock::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

namespace {

bool is_paused(const std::map<std::string, bool>& paused, const std::string& dag_id) {
  auto it = paused.find(dag_id);
  return it != paused.end() && it->second;
}

std::string key_of(const task_key& k, int try_number) {
  return fmt::format("{}\x1f{}\x1f{}\x1f{}", k.dag_id, k.run_id, k.task_id, try_number);
}

std::string this_host() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

std::string fresh_id(const std::string& host, int64_t pid) {
  std::random_device rd;
  return fmt::format("{}:{}:{:08x}", host, pid, rd());
}

error metadata_error(error e) {
  return error{make_error_code_for(errc::metadata), "metadata database: " + e.message};
}

// A failed metadb call as this module's error.
template <class T>
result<T> md(result<T> r) {
  if (!r) return std::unexpected(metadata_error(std::move(r.error())));
  return r;
}

}  // namespace

scheduler::scheduler(scheduler_options o, std::vector<dag_def> dags, state_store& st, executor& ex,
                     const clock& c)
    : options_(std::move(o)), dags_(std::move(dags)), state_(st), executor_(ex), clock_(c) {
  me_.hostname = options_.hostname.empty() ? this_host() : options_.hostname;
  me_.pid = options_.pid != 0 ? options_.pid : static_cast<int64_t>(getpid());
  me_.scheduler_id =
      options_.scheduler_id.empty() ? fresh_id(me_.hostname, me_.pid) : options_.scheduler_id;
}

bool scheduler::mine(const run_row& run) const {
  return options_.backfill_only.empty() ||
         (run.dag_id == options_.backfill_only && run.type == run_type::backfill);
}

const dag_def* scheduler::find_dag(std::string_view id) const {
  for (const auto& d : dags_) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

result<void> scheduler::start() {
  const time_point now = clock_.now();
  me_.started_at = now;
  if (auto r = md(state_.sync_dags(dags_, now)); !r) return r;
  if (auto r = md(state_.heartbeat(me_, now)); !r) return r;
  last_heartbeat_ = now;
  started_ = true;
  log::get("scheduler")
      ->info("scheduler {} on {} with {} DAG(s)", me_.scheduler_id, state_.target(), dags_.size());
  return {};
}

result<pass_report> scheduler::tick() {
  pass_report report;
  const time_point now = clock_.now();
  const auto every = options_.heartbeat_timeout / 6;
  if (now - last_heartbeat_ >= every) {
    if (auto r = md(state_.heartbeat(me_, now)); !r) return std::unexpected(r.error());
    last_heartbeat_ = now;
  }
  if (auto r = record_finished(report); !r) return std::unexpected(r.error());
  if (auto r = enforce_timeouts(); !r) return std::unexpected(r.error());
  const bool general = options_.backfill_only.empty();
  if (general && (now - last_orphan_check_ >= every || last_orphan_check_ == time_point{})) {
    if (auto r = adopt_orphans(report); !r) return std::unexpected(r.error());
    last_orphan_check_ = now;
  }
  // The paused flags, read once a pass. A backfill runs its runs whether or not the DAG is
  // paused, as Airflow's does.
  auto rows = md(state_.dags());
  if (!rows) return std::unexpected(rows.error());
  paused_map paused;
  for (const auto& r : *rows) paused[r.dag_id] = r.is_paused && general;
  if (general) {
    if (auto r = create_due_runs(report, paused); !r) return std::unexpected(r.error());
  }
  if (auto r = start_queued_runs(paused); !r) return std::unexpected(r.error());
  if (auto r = advance_running_runs(report, paused); !r) return std::unexpected(r.error());
  if (auto r = start_tries(report); !r) return std::unexpected(r.error());
  if (now - last_log_flush_ >= options_.log_flush_interval) {
    if (auto r = flush_logs(); !r) return std::unexpected(r.error());
    last_log_flush_ = now;
  }
  return report;
}

result<void> scheduler::stop() {
  if (!started_) return {};
  started_ = false;
  executor_.shutdown();
  pass_report ignored;
  auto r = record_finished(ignored);
  auto removed = md(state_.remove_scheduler(me_.scheduler_id));
  if (!r) return r;
  return removed;
}

result<void> scheduler::record_end(const claimed_try& claim, const try_outcome& outcome,
                                   const std::string& log, bool interrupted,
                                   std::string_view owner) {
  const time_point now = clock_.now();
  try_end e{.key = claim.key, .try_number = claim.try_number, .reason = outcome.reason, .log = log};
  const dag_def* d = find_dag(claim.key.dag_id);
  const task_def* t = d ? d->task(claim.key.task_id) : nullptr;
  if (outcome.result == try_outcome::success) {
    e.try_state = "success";
    e.next = task_state::success;
  } else if (outcome.result == try_outcome::skipped) {
    e.try_state = "skipped";
    e.next = task_state::skipped;
  } else if (interrupted) {
    e.try_state = "failed";
    e.next = task_state::scheduled;
    e.extra_try = true;
  } else {
    e.try_state = "failed";
    if (claim.try_number < claim.max_tries && t != nullptr) {
      e.next = task_state::up_for_retry;
      const std::string jitter =
          fmt::format("{}#{}#{}", claim.key.dag_id, claim.key.task_id, claim.key.run_id);
      e.next_try_at = now + retry_wait(t->policy, jitter, claim.try_number);
    } else {
      e.next = task_state::failed;
    }
  }
  auto done = md(state_.finish_try(e, owner, now));
  if (!done) return std::unexpected(done.error());
  log::get("scheduler")
      ->info("{} {} {} try {}: {}{}{}", claim.key.dag_id, claim.key.run_id, claim.key.task_id,
             claim.try_number, e.try_state, e.reason.empty() ? "" : " (" + e.reason + ")",
             e.next == task_state::up_for_retry
                 ? ", retry at " + schedule::format_iso(*e.next_try_at)
                 : "");
  return {};
}

result<void> scheduler::record_finished(pass_report& report) {
  for (auto& f : executor_.take_finished()) {
    running_.erase(key_of(f.claim.key, f.claim.try_number));
    if (auto r = record_end(f.claim, f.outcome, f.log, f.interrupted, me_.scheduler_id); !r) {
      return r;
    }
    ++report.tries_finished;
  }
  return {};
}

result<void> scheduler::enforce_timeouts() {
  const time_point now = clock_.now();
  for (auto& [k, r] : running_) {
    if (r.timeout.count() <= 0 || r.timeout_sent || now - r.started < r.timeout) continue;
    r.timeout_sent = true;
    executor_.cancel(
        r.claim.key, r.claim.try_number,
        "timed out after " + config::format_duration(r.timeout) + " (execution_timeout)");
  }
  return {};
}

result<void> scheduler::adopt_orphans(pass_report& report) {
  const time_point now = clock_.now();
  // A scheduler on this machine whose process is gone is dead now, not after the timeout.
  auto all = md(state_.schedulers());
  if (!all) return std::unexpected(all.error());
  for (const auto& s : *all) {
    if (s.scheduler_id == me_.scheduler_id || s.hostname != me_.hostname || s.pid == me_.pid) {
      continue;
    }
    if (kill(static_cast<pid_t>(s.pid), 0) != 0 && errno == ESRCH) {
      if (auto r = md(state_.mark_dead(s.scheduler_id)); !r) return r;
    }
  }
  auto orphans = md(state_.orphaned(me_.scheduler_id, now - options_.heartbeat_timeout));
  if (!orphans) return std::unexpected(orphans.error());
  for (const auto& ti : *orphans) {
    auto previous = md(state_.attempt(ti.key, ti.try_number));
    if (!previous) return std::unexpected(previous.error());
    const std::string reason =
        fmt::format("interrupted: its scheduler {} stopped (taken over by {})", ti.scheduler_id,
                    me_.scheduler_id);
    std::string log = *previous ? (*previous)->log : "";
    log += fmt::format("[sluice] {} {}\n", schedule::format_iso(now), reason);
    claimed_try claim{.key = ti.key, .try_number = ti.try_number, .max_tries = ti.max_tries};
    if (auto r = record_end(claim, {try_outcome::failed, reason}, log, true, ti.scheduler_id); !r) {
      return r;
    }
    ++report.tries_adopted;
  }
  // Schedulers dead for ten timeouts and owning nothing are forgotten.
  for (const auto& s : *all) {
    if (s.scheduler_id != me_.scheduler_id &&
        s.heartbeat_at < now - 10 * options_.heartbeat_timeout) {
      if (auto r = md(state_.remove_scheduler(s.scheduler_id)); !r) return r;
    }
  }
  return {};
}

namespace {

result<void> insert_run(state_store& st, const dag_def& d, run_type type, time_point logical,
                        data_interval interval, std::string run_id, std::string conf,
                        time_point now) {
  run_row run{.dag_id = d.id,
              .run_id = std::move(run_id),
              .type = type,
              .logical_date = logical,
              .interval = interval,
              .state = run_state::queued,
              .conf = std::move(conf),
              .queued_at = now};
  auto r = st.create_run(run, d);
  if (!r && is(r.error(), metadb::errc::conflict)) {
    return make_error(errc::conflict,
                      fmt::format("DAG {} already has a run {} or one at logical date {}", d.id,
                                  run.run_id, schedule::format_iso(logical)));
  }
  return md(std::move(r));
}

}  // namespace

result<void> scheduler::create_due_runs(pass_report& report, const paused_map& paused) {
  const time_point now = clock_.now();
  for (const auto& dag : dags_) {
    const dag_def* d = &dag;
    if (is_paused(paused, d->id) || d->timetable.type() == schedule::timetable::kind::manual) {
      continue;
    }
    auto last_run = md(state_.last_automated_run(d->id));
    if (!last_run) return std::unexpected(last_run.error());
    std::optional<data_interval> last;
    if (*last_run) last = (*last_run)->interval;
    auto active = md(state_.active_runs(d->id));
    if (!active) return std::unexpected(active.error());
    for (size_t i = 0; i < options_.max_runs_per_pass && *active < d->max_active_runs; ++i) {
      auto next =
          d->timetable.next(last, d->start_date.value_or(schedule::from_ms(0)), d->catchup, now);
      if (!next) break;
      const bool once = d->timetable.type() == schedule::timetable::kind::once;
      if ((once ? next->start : next->end) > now) break;
      if (d->end_date && next->start > *d->end_date) break;
      auto r = insert_run(state_, *d, run_type::scheduled, next->start, *next,
                          make_run_id(run_type::scheduled, next->start), "{}", now);
      if (r) {
        ++*active;
        ++report.runs_created;
      } else if (!is(r.error(), errc::conflict)) {
        return r;  // a conflict: another scheduler made it first
      }
      last = *next;
    }
  }
  return {};
}

result<void> scheduler::start_queued_runs(const paused_map& paused) {
  auto queued = md(state_.runs_in(run_state::queued));
  if (!queued || queued->empty()) return queued ? result<void>{} : std::unexpected(queued.error());
  auto running = md(state_.runs_in(run_state::running));
  if (!running) return std::unexpected(running.error());
  std::map<std::string, int64_t> active;
  for (const auto& r : *running) ++active[r.dag_id];
  for (const auto& run : *queued) {
    if (!mine(run)) continue;
    const dag_def* d = find_dag(run.dag_id);
    if (d == nullptr || is_paused(paused, run.dag_id) || active[run.dag_id] >= d->max_active_runs) {
      continue;
    }
    auto started = md(state_.start_run(run.dag_id, run.run_id, clock_.now()));
    if (!started) return std::unexpected(started.error());
    if (*started) ++active[run.dag_id];
  }
  return {};
}

namespace {

// What an instance waiting on its upstreams becomes (trigger rule all_success, as Airflow's
// default): scheduled once all succeeded, upstream_failed once one failed, skipped once one was
// skipped; nullopt while it must wait.
std::optional<task_state> from_upstreams(const task_def& t, const std::vector<task_state>& s) {
  bool all_success = true, any_failed = false, any_skipped = false;
  for (size_t u : t.upstream) {
    if (s[u] == task_state::failed || s[u] == task_state::upstream_failed) any_failed = true;
    if (s[u] == task_state::skipped) any_skipped = true;
    if (s[u] != task_state::success) all_success = false;
  }
  if (all_success) return task_state::scheduled;
  if (any_failed) return task_state::upstream_failed;
  if (any_skipped) return task_state::skipped;
  return std::nullopt;
}

}  // namespace

result<void> scheduler::advance_running_runs(pass_report& report, const paused_map& paused) {
  const time_point now = clock_.now();
  auto runs = md(state_.runs_in(run_state::running));
  if (!runs) return std::unexpected(runs.error());
  for (const auto& run : *runs) {
    const dag_def* d = find_dag(run.dag_id);
    if (d == nullptr || !mine(run)) continue;
    auto tis = md(state_.tasks(run.dag_id, run.run_id));
    if (!tis) return std::unexpected(tis.error());
    std::vector<task_state> states(d->tasks.size(), task_state::none);
    std::vector<const task_row*> rows_of(d->tasks.size(), nullptr);
    for (const auto& ti : *tis) {
      for (size_t i = 0; i < d->tasks.size(); ++i) {
        if (d->tasks[i].id == ti.key.task_id) {
          states[i] = ti.state;
          rows_of[i] = &ti;
          break;
        }
      }
    }
    std::vector<state_store::transition> changes;
    for (size_t i : d->order) {
      if (rows_of[i] == nullptr) continue;  // a task added to the DAG after the run was made
      std::optional<task_state> to;
      if (states[i] == task_state::none) {
        to = from_upstreams(d->tasks[i], states);
        if (to == task_state::scheduled && is_paused(paused, run.dag_id)) to.reset();
      } else if (states[i] == task_state::up_for_retry && !is_paused(paused, run.dag_id) &&
                 rows_of[i]->next_try_at.value_or(now) <= now) {
        to = task_state::scheduled;
      }
      if (!to) continue;
      changes.push_back({rows_of[i]->key, states[i], *to});
      states[i] = *to;
    }
    auto applied = md(state_.apply(changes, now));
    if (!applied) return std::unexpected(applied.error());
    if (*applied != changes.size()) continue;  // another scheduler moved some: look again later
    bool all_done = true, any_failed = false;
    for (size_t i = 0; i < states.size(); ++i) {
      if (rows_of[i] == nullptr) continue;
      all_done = all_done && finished(states[i]);
      any_failed =
          any_failed || states[i] == task_state::failed || states[i] == task_state::upstream_failed;
    }
    if (!all_done) continue;
    const run_state end = any_failed ? run_state::failed : run_state::success;
    auto fin = md(state_.finish_run(run.dag_id, run.run_id, end, now));
    if (!fin) return std::unexpected(fin.error());
    if (*fin) {
      ++report.runs_finished;
      log::get("scheduler")->info("{} {}: {}", run.dag_id, run.run_id, name(end));
    }
  }
  return {};
}

result<void> scheduler::start_tries(pass_report& report) {
  const int64_t free = options_.parallelism - static_cast<int64_t>(executor_.active());
  if (free <= 0) return {};
  const time_point now = clock_.now();
  auto claims = md(state_.claim(me_, free, now, options_.backfill_only));
  if (!claims) return std::unexpected(claims.error());
  for (auto& c : *claims) {
    const dag_def* d = find_dag(c.key.dag_id);
    const task_def* t = d ? d->task(c.key.task_id) : nullptr;
    auto run = md(state_.run(c.key.dag_id, c.key.run_id));
    if (!run) return std::unexpected(run.error());
    std::string failure;
    if (t == nullptr || !*run) {
      failure = "the task is not in the scheduler's DAGs (was the config changed?)";
    } else {
      try_context ctx{.claim = c, .task = *t, .run = **run, .dag_id = d->id, .params = d->params};
      if (auto started = executor_.start(std::move(ctx)); !started)
        failure = started.error().message;
    }
    if (!failure.empty()) {
      if (auto r = record_end(c, {try_outcome::failed, failure}, "", false, me_.scheduler_id); !r) {
        return r;
      }
      continue;
    }
    auto marked = md(state_.mark_running(c, me_.scheduler_id, me_.pid, now));
    if (!marked) return std::unexpected(marked.error());
    running_[key_of(c.key, c.try_number)] =
        running_try{.claim = c, .started = now, .timeout = t->policy.execution_timeout};
    ++report.tries_started;
  }
  return {};
}

result<void> scheduler::flush_logs() {
  for (const auto& l : executor_.changed_logs()) {
    if (auto r = md(state_.update_log(l.claim.key, l.claim.try_number, l.text)); !r) return r;
  }
  return {};
}

result<run_row> trigger_run(state_store& st, const dag_def& d, const trigger_request& req,
                            time_point now) {
  auto conf = nlohmann::json::parse(req.conf.empty() ? "{}" : req.conf, nullptr, false);
  if (conf.is_discarded() || !conf.is_object()) {
    return make_error(errc::bad_request, "conf must be a JSON object, got: " + req.conf);
  }
  const time_point logical = req.logical_date.value_or(now);
  std::string run_id = req.run_id.empty() ? make_run_id(run_type::manual, logical) : req.run_id;
  if (auto c = check_run_id(run_id); !c) return std::unexpected(c.error());
  if (auto r = insert_run(st, d, run_type::manual, logical, d.timetable.manual_interval(logical),
                          run_id, conf.dump(), now);
      !r) {
    return std::unexpected(r.error());
  }
  auto run = md(st.run(d.id, run_id));
  if (!run) return std::unexpected(run.error());
  if (!*run) return make_error(errc::metadata, "the new run vanished");
  return **run;
}

result<std::vector<run_row>> backfill_runs(state_store& st, const dag_def& d, time_point from,
                                           time_point to, const std::string& conf, time_point now) {
  if (d.timetable.type() != schedule::timetable::kind::cron) {
    return make_error(errc::bad_request,
                      fmt::format("DAG {} has no cron schedule ({}): nothing to backfill", d.id,
                                  d.timetable.text().empty() ? "manual only" : d.timetable.text()));
  }
  if (to < from) return make_error(errc::bad_request, "the end of the range is before its start");
  auto parsed = nlohmann::json::parse(conf.empty() ? "{}" : conf, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return make_error(errc::bad_request, "conf must be a JSON object, got: " + conf);
  }
  constexpr size_t limit = 10'000;
  auto intervals = d.timetable.intervals_between(from, to, limit + 1);
  if (intervals.size() > limit) {
    return make_error(errc::bad_request,
                      fmt::format("more than {} intervals between {} and {}: narrow the range",
                                  limit, schedule::format_iso(from), schedule::format_iso(to)));
  }
  std::vector<run_row> created;
  for (const auto& iv : intervals) {
    const std::string run_id = make_run_id(run_type::backfill, iv.start);
    auto r = insert_run(st, d, run_type::backfill, iv.start, iv, run_id, parsed.dump(), now);
    if (!r) {
      if (is(r.error(), errc::conflict)) continue;
      return std::unexpected(r.error());
    }
    auto run = md(st.run(d.id, run_id));
    if (!run) return std::unexpected(run.error());
    if (*run) created.push_back(**run);
  }
  return created;
}

result<run_row> scheduler::trigger(const trigger_request& req) {
  const dag_def* d = find_dag(req.dag_id);
  if (d == nullptr) return make_error(errc::not_found, "no DAG '" + req.dag_id + "'");
  return trigger_run(state_, *d, req, clock_.now());
}

result<std::vector<run_row>> scheduler::backfill(std::string_view dag_id, time_point from,
                                                 time_point to, std::string conf) {
  const dag_def* d = find_dag(dag_id);
  if (d == nullptr) return make_error(errc::not_found, "no DAG '" + std::string(dag_id) + "'");
  return backfill_runs(state_, *d, from, to, conf, clock_.now());
}

}  // namespace sluice::orchestrator
