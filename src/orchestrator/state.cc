#include "orchestrator/state.h"

#include <fmt/format.h>

#include "orchestrator/state_schema.h"

namespace sluice::orchestrator {

using metadb::row;
using metadb::value;

namespace {

value v(std::string_view s) { return std::string(s); }
value v(int64_t i) { return i; }
value v(time_point t) { return schedule::to_ms(t); }
value v(std::optional<time_point> t) { return t ? value{schedule::to_ms(*t)} : value{}; }

std::optional<time_point> opt_time(const row& r, size_t i) {
  auto x = r.optional_integer(i);
  if (!x) return std::nullopt;
  return schedule::from_ms(*x);
}

constexpr std::string_view run_columns =
    "dag_id, run_id, run_type, logical_date, data_interval_start, data_interval_end, state, conf, "
    "queued_at, start_date, end_date";

run_row to_run(const row& r) {
  return run_row{
      .dag_id = r.text(0),
      .run_id = r.text(1),
      .type = parse_run_type(r.text(2)).value_or(run_type::manual),
      .logical_date = schedule::from_ms(r.integer(3)),
      .interval = {schedule::from_ms(r.integer(4)), schedule::from_ms(r.integer(5))},
      .state = parse_run_state(r.text(6)).value_or(run_state::failed),
      .conf = r.text(7),
      .queued_at = schedule::from_ms(r.integer(8)),
      .start_date = opt_time(r, 9),
      .end_date = opt_time(r, 10),
  };
}

constexpr std::string_view task_columns =
    "dag_id, run_id, task_id, state, try_number, max_tries, next_try_at, queued_at, start_date, "
    "end_date, scheduler_id, hostname, pid";

task_row to_task(const row& r) {
  return task_row{
      .key = {r.text(0), r.text(1), r.text(2)},
      .state = parse_task_state(r.text(3)).value_or(task_state::failed),
      .try_number = static_cast<int>(r.integer(4)),
      .max_tries = static_cast<int>(r.integer(5)),
      .next_try_at = opt_time(r, 6),
      .queued_at = opt_time(r, 7),
      .start_date = opt_time(r, 8),
      .end_date = opt_time(r, 9),
      .scheduler_id = r.text(10),
      .hostname = r.text(11),
      .pid = r.integer(12),
  };
}

constexpr std::string_view try_columns =
    "dag_id, run_id, task_id, try_number, state, scheduler_id, hostname, pid, start_date, "
    "end_date, reason, log";

try_row to_try(const row& r) {
  return try_row{
      .key = {r.text(0), r.text(1), r.text(2)},
      .try_number = static_cast<int>(r.integer(3)),
      .state = r.text(4),
      .scheduler_id = r.text(5),
      .hostname = r.text(6),
      .pid = r.integer(7),
      .start_date = schedule::from_ms(r.integer(8)),
      .end_date = opt_time(r, 9),
      .reason = r.text(10),
      .log = r.text(11),
  };
}

template <class T, class F>
result<std::vector<T>> map_rows(result<std::vector<row>> rows, F f) {
  if (!rows) return std::unexpected(rows.error());
  std::vector<T> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(f(r));
  return out;
}

template <class T, class F>
result<std::optional<T>> first_row(result<std::vector<row>> rows, F f) {
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::nullopt;
  return f(rows->front());
}

// Rows a statement changed, for compare-and-set updates: they end with RETURNING 1.
result<bool> changed(result<std::vector<row>> rows) {
  if (!rows) return std::unexpected(rows.error());
  return !rows->empty();
}

}  // namespace

result<std::unique_ptr<state_store>> state_store::open(std::string_view url) {
  auto c = metadb::open(url);
  if (!c) return std::unexpected(c.error());
  auto version = metadb::migrate(**c, schema_migrations());
  if (!version) return std::unexpected(std::move(version.error()).with_context("metadata schema"));
  return std::make_unique<state_store>(std::move(*c));
}

result<void> state_store::sync_dags(const std::vector<dag_def>& dags, time_point now) {
  metadb::transaction tx(*db_);
  if (auto b = tx.begin(); !b) return b;
  for (const auto& d : dags) {
    const value params[] = {v(d.id), v(int64_t{d.paused}), v(d.timetable.text()), v(d.description),
                            v(now)};
    auto r = db_->query(
        "INSERT INTO dags (dag_id, is_paused, schedule, description, first_seen, last_seen) "
        "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (dag_id) DO UPDATE SET schedule = $3, "
        "description = $4, last_seen = $5",
        params);
    if (!r) return std::unexpected(r.error());
  }
  return tx.commit();
}

result<std::vector<dag_row>> state_store::dags() {
  return map_rows<dag_row>(
      db_->query("SELECT dag_id, is_paused, schedule, description FROM dags ORDER BY dag_id"),
      [](const row& r) { return dag_row{r.text(0), r.integer(1) != 0, r.text(2), r.text(3)}; });
}

result<std::optional<dag_row>> state_store::dag(std::string_view dag_id) {
  const value params[] = {v(dag_id)};
  return first_row<dag_row>(
      db_->query("SELECT dag_id, is_paused, schedule, description FROM dags WHERE dag_id = $1",
                 params),
      [](const row& r) { return dag_row{r.text(0), r.integer(1) != 0, r.text(2), r.text(3)}; });
}

result<void> state_store::set_paused(std::string_view dag_id, bool paused) {
  const value params[] = {v(dag_id), v(int64_t{paused})};
  auto r = db_->query("UPDATE dags SET is_paused = $2 WHERE dag_id = $1", params);
  if (!r) return std::unexpected(r.error());
  return {};
}

result<void> state_store::create_run(const run_row& run, const dag_def& dag) {
  metadb::transaction tx(*db_);
  if (auto b = tx.begin(); !b) return b;
  const value params[] = {v(run.dag_id),       v(run.run_id),         v(name(run.type)),
                          v(run.logical_date), v(run.interval.start), v(run.interval.end),
                          v(name(run.state)),  v(run.conf),           v(run.queued_at)};
  auto r = db_->query(
      "INSERT INTO dag_runs (dag_id, run_id, run_type, logical_date, data_interval_start, "
      "data_interval_end, state, conf, queued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      params);
  if (!r) return std::unexpected(r.error());
  for (const auto& t : dag.tasks) {
    const value tp[] = {v(run.dag_id), v(run.run_id), v(t.id),
                        v(static_cast<int64_t>(t.policy.retries + 1))};
    auto ti = db_->query(
        "INSERT INTO task_instances (dag_id, run_id, task_id, state, try_number, max_tries, "
        "scheduler_id, hostname, pid) VALUES ($1, $2, $3, 'none', 0, $4, '', '', 0)",
        tp);
    if (!ti) return std::unexpected(ti.error());
  }
  return tx.commit();
}

result<std::optional<run_row>> state_store::run(std::string_view dag_id, std::string_view run_id) {
  const value params[] = {v(dag_id), v(run_id)};
  return first_row<run_row>(
      db_->query(
          fmt::format("SELECT {} FROM dag_runs WHERE dag_id = $1 AND run_id = $2", run_columns),
          params),
      to_run);
}

result<std::vector<run_row>> state_store::runs(std::string_view dag_id,
                                               std::optional<run_state> state, int64_t limit,
                                               int64_t offset) {
  const value params[] = {v(dag_id), state ? v(name(*state)) : value{}, v(limit), v(offset)};
  return map_rows<run_row>(
      db_->query(
          fmt::format("SELECT {} FROM dag_runs WHERE dag_id = $1 AND (CAST($2 AS TEXT) IS NULL "
                      "OR state = $2) ORDER BY logical_date DESC LIMIT $3 OFFSET $4",
                      run_columns),
          params),
      to_run);
}

result<int64_t> state_store::count_runs(std::string_view dag_id, std::optional<run_state> state) {
  const value params[] = {v(dag_id), state ? v(name(*state)) : value{}};
  auto r = db_->query(
      "SELECT COUNT(*) FROM dag_runs WHERE dag_id = $1 AND (CAST($2 AS TEXT) IS NULL OR state = "
      "$2)",
      params);
  if (!r) return std::unexpected(r.error());
  return r->empty() ? 0 : r->front().integer(0);
}

result<std::vector<run_row>> state_store::runs_in(run_state state) {
  const value params[] = {v(name(state))};
  return map_rows<run_row>(
      db_->query(fmt::format("SELECT {} FROM dag_runs WHERE state = $1 ORDER BY logical_date",
                             run_columns),
                 params),
      to_run);
}

result<std::optional<run_row>> state_store::last_automated_run(std::string_view dag_id) {
  const value params[] = {v(dag_id)};
  return first_row<run_row>(
      db_->query(fmt::format("SELECT {} FROM dag_runs WHERE dag_id = $1 AND run_type IN "
                             "('scheduled', 'backfill') ORDER BY data_interval_start DESC LIMIT 1",
                             run_columns),
                 params),
      to_run);
}

result<int64_t> state_store::active_runs(std::string_view dag_id) {
  const value params[] = {v(dag_id)};
  auto r = db_->query(
      "SELECT COUNT(*) FROM dag_runs WHERE dag_id = $1 AND state IN ('queued', 'running')", params);
  if (!r) return std::unexpected(r.error());
  return r->empty() ? 0 : r->front().integer(0);
}

result<bool> state_store::start_run(std::string_view dag_id, std::string_view run_id,
                                    time_point now) {
  const value params[] = {v(dag_id), v(run_id), v(now)};
  return changed(db_->query(
      "UPDATE dag_runs SET state = 'running', start_date = $3 WHERE dag_id = $1 AND run_id = $2 "
      "AND state = 'queued' RETURNING 1",
      params));
}

result<bool> state_store::finish_run(std::string_view dag_id, std::string_view run_id,
                                     run_state state, time_point now) {
  const value params[] = {v(dag_id), v(run_id), v(name(state)), v(now)};
  return changed(db_->query(
      "UPDATE dag_runs SET state = $3, end_date = $4 WHERE dag_id = $1 AND run_id = $2 AND "
      "state = 'running' RETURNING 1",
      params));
}

result<std::vector<task_row>> state_store::tasks(std::string_view dag_id, std::string_view run_id) {
  const value params[] = {v(dag_id), v(run_id)};
  return map_rows<task_row>(
      db_->query(fmt::format("SELECT {} FROM task_instances WHERE dag_id = $1 AND run_id = $2",
                             task_columns),
                 params),
      to_task);
}

result<std::optional<task_row>> state_store::task(const task_key& k) {
  const value params[] = {v(k.dag_id), v(k.run_id), v(k.task_id)};
  return first_row<task_row>(
      db_->query(fmt::format("SELECT {} FROM task_instances WHERE dag_id = $1 AND run_id = $2 AND "
                             "task_id = $3",
                             task_columns),
                 params),
      to_task);
}

result<size_t> state_store::apply(const std::vector<transition>& changes, time_point now) {
  if (changes.empty()) return 0;
  metadb::transaction tx(*db_);
  if (auto b = tx.begin(); !b) return std::unexpected(b.error());
  size_t applied = 0;
  for (const auto& c : changes) {
    const bool ends = finished(c.to);
    const value params[] = {v(c.key.dag_id), v(c.key.run_id), v(c.key.task_id), v(name(c.from)),
                            v(name(c.to)),   v(now),          v(int64_t{ends})};
    auto r = changed(db_->query(
        "UPDATE task_instances SET state = $5, scheduled_at = CASE WHEN $5 = 'scheduled' THEN "
        "CAST($6 AS BIGINT) ELSE scheduled_at END, end_date = CASE WHEN CAST($7 AS BIGINT) = 1 "
        "THEN "
        "CAST($6 AS BIGINT) ELSE end_date END, "
        "next_try_at = NULL WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND state = $4 "
        "RETURNING 1",
        params));
    if (!r) return std::unexpected(r.error());
    applied += *r ? 1 : 0;
  }
  if (auto c = tx.commit(); !c) return std::unexpected(c.error());
  return applied;
}

result<std::vector<claimed_try>> state_store::claim(const scheduler_row& me, int64_t limit,
                                                    time_point now,
                                                    std::string_view only_backfill_of) {
  if (limit <= 0) return std::vector<claimed_try>{};
  metadb::transaction tx(*db_);
  if (auto b = tx.begin(); !b) return std::unexpected(b.error());
  const value lp[] = {v(limit), only_backfill_of.empty() ? value{} : v(only_backfill_of)};
  // On PostgreSQL, rows another scheduler is claiming right now are skipped, not waited for; on
  // SQLite the transaction already holds the database's write lock.
  auto rows = db_->query(
      std::string(
          "SELECT dag_id, run_id, task_id, try_number, max_tries FROM task_instances "
          "WHERE state = 'scheduled' AND (CAST($2 AS TEXT) IS NULL OR (dag_id = $2 AND "
          "run_id LIKE 'backfill\\_\\_%' ESCAPE '\\')) AND (CAST($2 AS TEXT) IS NOT NULL OR NOT "
          "EXISTS (SELECT 1 FROM dags WHERE dags.dag_id = task_instances.dag_id AND "
          "dags.is_paused = 1)) ORDER BY scheduled_at, dag_id, "
          "run_id, task_id "
          "LIMIT $1") +
          (db_->kind() == metadb::dialect::postgresql ? " FOR UPDATE SKIP LOCKED" : ""),
      lp);
  if (!rows) return std::unexpected(rows.error());
  std::vector<claimed_try> out;
  for (const auto& r : *rows) {
    claimed_try c{.key = {r.text(0), r.text(1), r.text(2)},
                  .try_number = static_cast<int>(r.integer(3)) + 1,
                  .max_tries = static_cast<int>(r.integer(4))};
    const value up[] = {
        v(c.key.dag_id),    v(c.key.run_id), v(c.key.task_id), v(int64_t{c.try_number}),
        v(me.scheduler_id), v(me.hostname),  v(me.pid),        v(now)};
    auto moved = changed(db_->query(
        "UPDATE task_instances SET state = 'queued', try_number = $4, scheduler_id = $5, "
        "hostname = $6, pid = $7, queued_at = $8, start_date = NULL, end_date = NULL WHERE "
        "dag_id = $1 AND run_id = $2 AND task_id = $3 AND state = 'scheduled' AND try_number = "
        "$4 - 1 RETURNING 1",
        up));
    if (!moved) return std::unexpected(moved.error());
    if (!*moved) continue;
    auto t = db_->query(
        "INSERT INTO task_tries (dag_id, run_id, task_id, try_number, state, scheduler_id, "
        "hostname, pid, start_date, reason, log) VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, "
        "$8, '', '')",
        up);
    if (!t) return std::unexpected(t.error());
    out.push_back(std::move(c));
  }
  if (auto c = tx.commit(); !c) return std::unexpected(c.error());
  return out;
}

result<bool> state_store::mark_running(const claimed_try& t, std::string_view scheduler_id,
                                       int64_t pid, time_point now) {
  metadb::transaction tx(*db_);
  if (auto b = tx.begin(); !b) return std::unexpected(b.error());
  const value params[] = {
      v(t.key.dag_id), v(t.key.run_id), v(t.key.task_id), v(int64_t{t.try_number}), v(scheduler_id),
      v(pid),          v(now)};
  auto moved = changed(db_->query(
      "UPDATE task_instances SET state = 'running', start_date = $7, pid = $6 WHERE dag_id = $1 "
      "AND run_id = $2 AND task_id = $3 AND try_number = $4 AND scheduler_id = $5 AND state = "
      "'queued' RETURNING 1",
      params));
  if (!moved || !*moved) return moved;
  auto t2 = db_->query(
      "UPDATE task_tries SET state = 'running', start_date = $7, pid = $6 WHERE dag_id = $1 AND "
      "run_id = $2 AND task_id = $3 AND try_number = $4 AND scheduler_id = $5",
      params);
  if (!t2) return std::unexpected(t2.error());
  if (auto c = tx.commit(); !c) return std::unexpected(c.error());
  return true;
}

result<bool> state_store::finish_try(const try_end& e, std::string_view scheduler_id,
                                     time_point now) {
  metadb::transaction tx(*db_);
  if (auto b = tx.begin(); !b) return std::unexpected(b.error());
  const bool ends = finished(e.next);
  const value params[] = {v(e.key.dag_id),          v(e.key.run_id), v(e.key.task_id),
                          v(int64_t{e.try_number}), v(scheduler_id), v(name(e.next)),
                          v(e.next_try_at),         v(now),          v(int64_t{ends}),
                          v(int64_t{e.extra_try})};
  auto moved = changed(db_->query(
      "UPDATE task_instances SET state = $6, next_try_at = CAST($7 AS BIGINT), end_date = CASE "
      "WHEN CAST($9 AS BIGINT) = 1 "
      "THEN CAST($8 AS BIGINT) ELSE NULL END, max_tries = max_tries + CAST($10 AS BIGINT), "
      "scheduled_at = CASE WHEN $6 = 'scheduled' THEN CAST($8 AS BIGINT) ELSE scheduled_at END "
      "WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND try_number = $4 "
      "AND scheduler_id = $5 AND state IN ('queued', 'running') RETURNING 1",
      params));
  if (!moved || !*moved) return moved;
  const value tp[] = {v(e.key.dag_id), v(e.key.run_id), v(e.key.task_id), v(int64_t{e.try_number}),
                      v(e.try_state),  v(now),          v(e.reason),      v(e.log)};
  auto t = db_->query(
      "UPDATE task_tries SET state = $5, end_date = $6, reason = $7, log = $8 WHERE dag_id = $1 "
      "AND run_id = $2 AND task_id = $3 AND try_number = $4",
      tp);
  if (!t) return std::unexpected(t.error());
  if (auto c = tx.commit(); !c) return std::unexpected(c.error());
  return true;
}

result<void> state_store::update_log(const task_key& k, int try_number, std::string_view log) {
  const value params[] = {v(k.dag_id), v(k.run_id), v(k.task_id), v(int64_t{try_number}), v(log)};
  auto r = db_->query(
      "UPDATE task_tries SET log = $5 WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND "
      "try_number = $4",
      params);
  if (!r) return std::unexpected(r.error());
  return {};
}

result<std::vector<task_row>> state_store::orphaned(std::string_view me, time_point alive_since) {
  const value params[] = {v(me), v(alive_since)};
  return map_rows<task_row>(
      db_->query(fmt::format("SELECT {} FROM task_instances ti WHERE state IN ('queued', "
                             "'running') AND scheduler_id <> $1 AND NOT EXISTS (SELECT 1 FROM "
                             "schedulers s WHERE s.scheduler_id = ti.scheduler_id AND "
                             "s.heartbeat_at >= $2)",
                             task_columns),
                 params),
      to_task);
}

result<std::vector<try_row>> state_store::tries(const task_key& k) {
  const value params[] = {v(k.dag_id), v(k.run_id), v(k.task_id)};
  return map_rows<try_row>(
      db_->query(fmt::format("SELECT {} FROM task_tries WHERE dag_id = $1 AND run_id = $2 AND "
                             "task_id = $3 ORDER BY try_number",
                             try_columns),
                 params),
      to_try);
}

result<std::optional<try_row>> state_store::attempt(const task_key& k, int try_number) {
  const value params[] = {v(k.dag_id), v(k.run_id), v(k.task_id), v(int64_t{try_number})};
  return first_row<try_row>(
      db_->query(fmt::format("SELECT {} FROM task_tries WHERE dag_id = $1 AND run_id = $2 AND "
                             "task_id = $3 AND try_number = $4",
                             try_columns),
                 params),
      to_try);
}

result<void> state_store::heartbeat(const scheduler_row& me, time_point now) {
  const value params[] = {v(me.scheduler_id), v(me.hostname), v(me.pid), v(me.started_at), v(now)};
  auto r = db_->query(
      "INSERT INTO schedulers (scheduler_id, hostname, pid, started_at, heartbeat_at) VALUES ($1, "
      "$2, $3, $4, $5) ON CONFLICT (scheduler_id) DO UPDATE SET heartbeat_at = $5",
      params);
  if (!r) return std::unexpected(r.error());
  return {};
}

result<std::vector<scheduler_row>> state_store::schedulers() {
  return map_rows<scheduler_row>(
      db_->query("SELECT scheduler_id, hostname, pid, started_at, heartbeat_at FROM schedulers "
                 "ORDER BY started_at"),
      [](const row& r) {
        return scheduler_row{r.text(0), r.text(1), r.integer(2), schedule::from_ms(r.integer(3)),
                             schedule::from_ms(r.integer(4))};
      });
}

result<void> state_store::mark_dead(std::string_view scheduler_id) {
  const value params[] = {v(scheduler_id)};
  auto r = db_->query("UPDATE schedulers SET heartbeat_at = 0 WHERE scheduler_id = $1", params);
  if (!r) return std::unexpected(r.error());
  return {};
}

result<void> state_store::remove_scheduler(std::string_view scheduler_id) {
  const value params[] = {v(scheduler_id)};
  auto r = db_->query("DELETE FROM schedulers WHERE scheduler_id = $1", params);
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace sluice::orchestrator
