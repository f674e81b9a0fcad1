// Run history in the metadata database (SQLite or PostgreSQL, metadb.h): DAGs and their paused
// flag, runs, task instances, every try with its log, and the live schedulers. Every change a
// scheduler makes is a compare-and-set on the row's current state, so several schedulers on one
// PostgreSQL database never make the same transition twice; claiming a task try takes row locks
// with SKIP LOCKED (on SQLite the database's single write lock does the same), and a try's row is
// keyed by its number, so a try can be claimed once only, even across restarts.
// The schema and its migrations: state_schema.cc; documented in docs/scheduler.md.
// Thread-safety: one thread at a time (it owns one connection).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "metadb/metadb.h"
#include "orchestrator/model.h"

namespace sluice::orchestrator {

struct dag_row {
  std::string dag_id;
  bool is_paused = false;
  std::string schedule;
  std::string description;
};

struct run_row {
  std::string dag_id;
  std::string run_id;
  run_type type = run_type::scheduled;
  time_point logical_date;
  data_interval interval;
  run_state state = run_state::queued;
  std::string conf = "{}";  // a JSON object
  time_point queued_at;
  std::optional<time_point> start_date;
  std::optional<time_point> end_date;
};

struct task_key {
  std::string dag_id;
  std::string run_id;
  std::string task_id;
  bool operator==(const task_key&) const = default;
};

struct task_row {
  task_key key;
  task_state state = task_state::none;
  int try_number = 0;                     // tries started so far
  int max_tries = 1;                      // retries + 1
  std::optional<time_point> next_try_at;  // up_for_retry: not before
  std::optional<time_point> queued_at;
  std::optional<time_point> start_date;
  std::optional<time_point> end_date;
  std::string scheduler_id;  // who runs the current try
  std::string hostname;
  int64_t pid = 0;
};

struct try_row {
  task_key key;
  int try_number = 0;
  std::string state;  // queued, running, success, failed, skipped
  std::string scheduler_id;
  std::string hostname;
  int64_t pid = 0;
  time_point start_date;
  std::optional<time_point> end_date;
  std::string reason;  // why it failed or was skipped
  std::string log;
};

struct scheduler_row {
  std::string scheduler_id;
  std::string hostname;
  int64_t pid = 0;
  time_point started_at;
  time_point heartbeat_at;
};

// A try this scheduler has claimed: its instance is queued under its name, its try row exists.
struct claimed_try {
  task_key key;
  int try_number = 0;
  int max_tries = 1;
};

// How a try ended, and what its instance becomes.
struct try_end {
  task_key key;
  int try_number = 0;
  std::string try_state;  // success, failed, skipped
  task_state next = task_state::failed;
  std::optional<time_point> next_try_at;
  std::string reason;
  std::string log;
  bool extra_try = false;  // the try was interrupted: it does not spend a retry
};

class state_store {
 public:
  // Opens the database at `url` and brings its schema up to date.
  static result<std::unique_ptr<state_store>> open(std::string_view url);
  explicit state_store(std::unique_ptr<metadb::connection> db) : db_(std::move(db)) {}

  [[nodiscard]] metadb::dialect dialect() const { return db_->kind(); }
  [[nodiscard]] std::string target() const { return db_->describe_target(); }

  // DAGs. sync_dags records the config's DAGs (new ones paused or not as the config says; the
  // paused flag of known ones is kept).
  result<void> sync_dags(const std::vector<dag_def>& dags, time_point now);
  result<std::vector<dag_row>> dags();
  result<std::optional<dag_row>> dag(std::string_view dag_id);
  result<void> set_paused(std::string_view dag_id, bool paused);

  // Runs. create_run inserts the run and one instance per task (state none) atomically; a run with
  // the same id or logical date already there is errc::conflict.
  result<void> create_run(const run_row& run, const dag_def& dag);
  result<std::optional<run_row>> run(std::string_view dag_id, std::string_view run_id);
  // Newest first by logical date; state filter optional.
  result<std::vector<run_row>> runs(std::string_view dag_id, std::optional<run_state> state,
                                    int64_t limit, int64_t offset);
  result<int64_t> count_runs(std::string_view dag_id, std::optional<run_state> state);
  result<std::vector<run_row>> runs_in(run_state state);  // every DAG, oldest logical date first
  // The scheduled or backfill run with the latest data interval: where the timetable continues.
  result<std::optional<run_row>> last_automated_run(std::string_view dag_id);
  result<int64_t> active_runs(std::string_view dag_id);  // queued + running
  result<bool> start_run(std::string_view dag_id, std::string_view run_id, time_point now);
  result<bool> finish_run(std::string_view dag_id, std::string_view run_id, run_state state,
                          time_point now);

  // Task instances.
  result<std::vector<task_row>> tasks(std::string_view dag_id, std::string_view run_id);
  result<std::optional<task_row>> task(const task_key& key);
  struct transition {
    task_key key;
    task_state from;
    task_state to;
  };
  // Applies each transition whose instance is still in `from`, in one transaction; returns how
  // many applied. Entering `scheduled` records when, for fair claiming order.
  result<size_t> apply(const std::vector<transition>& changes, time_point now);
  // Claims up to `limit` scheduled instances for `scheduler_id`: each becomes queued with its try
  // number advanced and a try row written.
  // Instances of paused DAGs wait. With `only_backfill_of`, only that DAG's backfill runs'
  // instances are claimed, paused or not.
  result<std::vector<claimed_try>> claim(const scheduler_row& me, int64_t limit, time_point now,
                                         std::string_view only_backfill_of = {});
  // The claimed try started (queued -> running). False if it is no longer this scheduler's.
  result<bool> mark_running(const claimed_try& t, std::string_view scheduler_id, int64_t pid,
                            time_point now);
  // Records a finished try and moves its instance on, if the try is still this scheduler's.
  result<bool> finish_try(const try_end& end, std::string_view scheduler_id, time_point now);
  result<void> update_log(const task_key& key, int try_number, std::string_view log);
  // Instances queued or running under a scheduler other than `me` that is not alive: not heard
  // from since `alive_since`, or marked dead.
  result<std::vector<task_row>> orphaned(std::string_view me, time_point alive_since);

  // Tries.
  result<std::vector<try_row>> tries(const task_key& key);
  result<std::optional<try_row>> attempt(const task_key& key, int try_number);

  // Schedulers.
  result<void> heartbeat(const scheduler_row& me, time_point now);
  result<std::vector<scheduler_row>> schedulers();
  result<void> mark_dead(std::string_view scheduler_id);
  result<void> remove_scheduler(std::string_view scheduler_id);

 private:
  std::unique_ptr<metadb::connection> db_;
};

}  // namespace sluice::orchestrator
