// The scheduler: one pass (tick) at a time, driven by a clock that tests inject.
//
// A pass: heartbeat; record tries that ended (success, skipped, or failed -> up_for_retry with the
// retry wait, or failed); stop tries past their execution timeout; take over tries of schedulers
// that died; create the runs that are due (Airflow's data intervals, catchup, max_active_runs);
// start queued runs; move task instances on by their upstreams (scheduled, upstream_failed,
// skipped) and retries whose wait is over; finish runs whose instances are all done; claim
// scheduled instances up to the free slots and start them on the executor.
//
// Every step is a compare-and-set in the metadata database (state.h), so any number of
// schedulers can share one PostgreSQL database: each run is created once (unique per DAG and
// logical date), each try claimed once. A try interrupted by a stopping or dead scheduler is not
// the task's failure: it is recorded as failed with the reason, and the instance is scheduled again
// without spending a retry.
//
// Thread-safety: tick() from one thread; trigger()/set_paused() may be called from others only
// through the service (service.h), which serializes them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "orchestrator/executor.h"
#include "orchestrator/model.h"
#include "orchestrator/state.h"

namespace sluice::orchestrator {

class clock {
 public:
  virtual ~clock() = default;
  [[nodiscard]] virtual time_point now() const = 0;
};

class system_clock final : public clock {
 public:
  [[nodiscard]] time_point now() const override;
};

// A clock that moves only when told (tests).
class manual_clock final : public clock {
 public:
  explicit manual_clock(time_point t) : now_(t) {}
  [[nodiscard]] time_point now() const override { return now_; }
  void set(time_point t) { now_ = t; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  time_point now_;
};

struct scheduler_options {
  int64_t parallelism = 16;
  std::chrono::milliseconds heartbeat_timeout{30'000};
  std::chrono::milliseconds log_flush_interval{2'000};  // running tries' logs to the database
  size_t max_runs_per_pass = 64;                        // created per DAG in one pass
  // Set: this scheduler only runs that DAG's backfill runs (`sluice dags backfill`): it creates
  // no scheduled runs and leaves every other run to the real schedulers.
  std::string backfill_only;
  std::string scheduler_id;  // default: host:pid:random
  std::string hostname;      // default: this machine's
  int64_t pid = 0;           // default: this process's
};

struct pass_report {
  size_t runs_created = 0;
  size_t runs_finished = 0;
  size_t tries_started = 0;
  size_t tries_finished = 0;
  size_t tries_adopted = 0;  // taken over from dead schedulers
};

// A manual trigger: the run's logical date (default now), id (default manual__<logical date>) and
// conf (a JSON object).
struct trigger_request {
  std::string dag_id;
  std::optional<time_point> logical_date;
  std::string run_id;
  std::string conf = "{}";
};

// A manual run of `d` (what `sluice dags trigger` and POST .../dagRuns do), from any process.
result<run_row> trigger_run(state_store& st, const dag_def& d, const trigger_request& r,
                            time_point now);
// Backfill runs of `d` for every interval starting in [from, to] that has no run yet; returns the
// runs created (existing intervals are left as they are). At most 10,000 intervals.
result<std::vector<run_row>> backfill_runs(state_store& st, const dag_def& d, time_point from,
                                           time_point to, const std::string& conf, time_point now);

class scheduler {
 public:
  scheduler(scheduler_options o, std::vector<dag_def> dags, state_store& st, executor& ex,
            const clock& c);

  // Records the DAGs and this scheduler in the database.
  result<void> start();
  result<pass_report> tick();
  // Interrupts the running tries, waits for them and records them; removes this scheduler.
  result<void> stop();

  result<run_row> trigger(const trigger_request& r);
  // Creates backfill runs for every interval starting in [from, to] that has no run yet; returns
  // the runs created (existing intervals are left as they are).
  result<std::vector<run_row>> backfill(std::string_view dag_id, time_point from, time_point to,
                                        std::string conf = "{}");

  [[nodiscard]] const std::vector<dag_def>& dags() const { return dags_; }
  [[nodiscard]] const dag_def* find_dag(std::string_view id) const;
  [[nodiscard]] const std::string& id() const { return me_.scheduler_id; }
  [[nodiscard]] size_t running() const { return running_.size(); }

 private:
  struct running_try {
    claimed_try claim;
    time_point started;
    std::chrono::milliseconds timeout{0};
    bool timeout_sent = false;
  };

  [[nodiscard]] bool mine(const run_row& run) const;
  result<void> record_finished(pass_report& report);
  result<void> enforce_timeouts();
  result<void> adopt_orphans(pass_report& report);
  using paused_map = std::map<std::string, bool>;  // DAG id -> paused, as read this pass
  result<void> create_due_runs(pass_report& report, const paused_map& paused);
  result<void> start_queued_runs(const paused_map& paused);
  result<void> advance_running_runs(pass_report& report, const paused_map& paused);
  result<void> start_tries(pass_report& report);
  result<void> flush_logs();
  result<void> record_end(const claimed_try& claim, const try_outcome& outcome,
                          const std::string& log, bool interrupted, std::string_view owner);

  scheduler_options options_;
  std::vector<dag_def> dags_;
  state_store& state_;
  executor& executor_;
  const clock& clock_;
  scheduler_row me_;
  std::map<std::string, running_try> running_;  // by "dag\x1frun\x1ftask\x1ftry"
  time_point last_heartbeat_{};
  time_point last_orphan_check_{};
  time_point last_log_flush_{};
  bool started_ = false;
};

}  // namespace sluice::orchestrator
