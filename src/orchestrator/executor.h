// Runs task tries on this machine: each on its own thread, at most `parallelism` at once (the
// scheduler claims no more). A command task is a `/bin/sh -c` subprocess in its own process group
// under a small watchdog process that kills the group if sluice dies, so no task outlives its
// scheduler to run beside its own retry. Built-in tasks (ingest, process, cql) are functions given
// by the caller (runner), cancelled through a stop flag. Output and progress go to a bounded log
// per try: the first eighth of log_max_bytes and the latest rest, the middle left out and counted.
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "orchestrator/model.h"
#include "orchestrator/state.h"

namespace sluice::orchestrator {

// A try's log: bounded, appended to by the try's thread, read by anyone.
class log_buffer {
 public:
  explicit log_buffer(size_t max_bytes) : max_(max_bytes) {}
  void append(std::string_view text);
  // "[sluice] 2026-11-24T10:00:00+00:00 message\n"
  void note(std::string_view message);
  [[nodiscard]] std::string text() const;
  [[nodiscard]] uint64_t version() const;  // grows with every append

 private:
  mutable std::mutex mu_;
  size_t max_;
  std::string head_;
  std::string tail_;
  uint64_t dropped_ = 0;
  uint64_t version_ = 0;
};

// What a try runs with.
struct try_context {
  claimed_try claim;
  task_def task;
  run_row run;
  std::string dag_id;
  std::map<std::string, std::string> params;  // the DAG's, overridden by the run's conf
};

struct try_outcome {
  enum kind { success, failed, skipped } result = failed;
  std::string reason;  // for failed and skipped
};

// A built-in task type: runs the try to its end; returns early (failed) once `cancel` is set.
using runner = std::function<try_outcome(const try_context&, const std::atomic<bool>& cancel,
                                         log_buffer& log)>;

struct runners {
  runner ingest;
  runner process;
  runner cql;
};

struct finished_try {
  claimed_try claim;
  try_outcome outcome;
  std::string log;
  bool interrupted = false;  // cancelled because the executor is shutting down
};

class executor {
 public:
  executor(runners r, size_t log_max_bytes);
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;
  ~executor();  // shutdown()

  // Starts the try on a new thread. The command type is built in; the others use the runners.
  result<void> start(try_context ctx);
  // Asks a running try to stop; `reason` becomes its failure reason.
  void cancel(const task_key& key, int try_number, std::string reason);
  // Cancels every try, waits for all, and keeps their results for take_finished().
  void shutdown();

  std::vector<finished_try> take_finished();
  [[nodiscard]] size_t active() const;
  // The log so far of a try running here.
  [[nodiscard]] std::optional<std::string> live_log(const task_key& key, int try_number) const;
  struct running_log {
    claimed_try claim;
    std::string text;
  };
  // Logs that changed since the last call.
  std::vector<running_log> changed_logs();

  // Blocks until a try finishes, notify() is called, or `max` passes. True unless it timed out.
  bool wait(std::chrono::milliseconds max);
  void notify();

 private:
  struct slot;
  void run_slot(const std::shared_ptr<slot>& s);
  std::shared_ptr<slot> find(const task_key& key, int try_number) const;
  void join_exited();

  runners runners_;
  size_t log_max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<slot>> running_;
  std::vector<finished_try> finished_;
  std::vector<std::thread> exited_;  // threads of finished tries, not yet joined
  bool woken_ = false;
  bool shutting_down_ = false;
};

// Runs `command` with /bin/sh -c under a watchdog (see above), its output into `log`, until it
// exits or `cancel` is set (SIGTERM to its process group, SIGKILL 5 s later). Exit 0: success;
// 99: skipped (as Airflow's BashOperator); anything else failed, with the exit status as reason.
try_outcome run_command(const std::string& command, const std::map<std::string, std::string>& env,
                        const std::atomic<bool>& cancel, log_buffer& log);

}  // namespace sluice::orchestrator
