// The orchestrator's vocabulary: DAGs compiled from the config (timetable parsed, upstreams as
// indices, policies resolved), the states of runs and task instances with Airflow's names, run
// ids, and the retry-wait rule.
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "config/config.h"
#include "schedule/timetable.h"

namespace sluice::orchestrator {

using schedule::data_interval;
using schedule::time_point;

enum class errc {
  ok = 0,
  invalid_dag,   // a DAG the config check should have refused
  not_found,     // no such DAG, run, task or try
  conflict,      // a run with that id or logical date exists
  bad_request,   // a malformed argument (conf that is not a JSON object, a bad date)
  metadata,      // the metadata database refused or is unreachable
  cannot_start,  // a task try could not be started (fork failed, unknown pipeline)
};
std::string_view describe(errc e);
std::string_view category_name(errc);

// Airflow's task instance states. `none`: waiting for its upstreams.
enum class task_state {
  none,
  scheduled,
  queued,
  running,
  success,
  failed,
  up_for_retry,
  upstream_failed,
  skipped,
};
std::string_view name(task_state s);
std::optional<task_state> parse_task_state(std::string_view s);
// Success, failed, upstream_failed and skipped: the instance will not run again in this run.
bool finished(task_state s);

enum class run_state { queued, running, success, failed };
std::string_view name(run_state s);
std::optional<run_state> parse_run_state(std::string_view s);

enum class run_type { scheduled, manual, backfill };
std::string_view name(run_type t);
std::optional<run_type> parse_run_type(std::string_view s);

struct task_def {
  std::string id;
  config::task_type type = config::task_type::command;
  std::string pipeline;
  std::string command;
  std::map<std::string, std::string> env;
  std::vector<std::string> statements;
  std::vector<size_t> upstream;  // indices into dag_def::tasks
  config::task_policy policy;
};

struct dag_def {
  std::string id;
  std::string description;
  schedule::timetable timetable;
  std::optional<time_point> start_date;
  std::optional<time_point> end_date;
  bool catchup = false;
  int64_t max_active_runs = 16;
  bool paused = false;
  std::map<std::string, std::string> params;
  std::vector<task_def> tasks;
  std::vector<size_t> order;  // indices into tasks, every task after its upstreams

  [[nodiscard]] const task_def* task(std::string_view id) const;
};

// The config's DAGs, compiled. The config loader has checked them; an error here means a config
// built by hand (tests, embedding) that skipped the check.
result<std::vector<dag_def>> compile(const std::vector<config::dag>& dags);

// "scheduled__2026-11-23T00:00:00+00:00" and the like, as Airflow names runs.
std::string make_run_id(run_type t, time_point logical_date);

// How long to wait after try `try_number` (1-based) failed before the next try, as Airflow: the
// retry delay, or with exponential backoff a wait in [d, 2d) for d = retry_delay * 2^(try-1),
// where the jitter is a hash of `jitter_key` (the same instance and try always wait the same);
// at most max_retry_delay.
std::chrono::milliseconds retry_wait(const config::task_policy& p, std::string_view jitter_key,
                                     int try_number);

}  // namespace sluice::orchestrator
