// The pipeline's jobs as services of `sluice up`: each runs on its own thread, reports its
// progress into a shared board that `sluice up` prints, and stops with the other parts.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/lifecycle.h"
#include "ingest/job.h"
#include "process/job.h"

namespace sluice::cli {

// The latest progress of every job, for the progress lines of `sluice up`.
struct progress_board {
  struct ingest_entry {
    std::string name;
    ingest::job_progress progress;
    bool finished = false;
    int64_t shown = 0;  // produced at the last progress line
  };
  struct process_entry {
    std::string name;
    process::job_progress progress;
    int64_t shown = 0;  // written at the last progress line
  };
  std::mutex mu;
  std::vector<ingest_entry> ingests;
  std::vector<process_entry> processes;
  double shown_at = 0;  // seconds since start at the last progress line
};

// A stream processor: ready once its table is ready and its topic subscribed; a start that
// fails (no store, a table that does not match the schema) fails `sluice up` with the reason.
std::unique_ptr<service> make_process_service(std::string name, process::job_options o,
                                              std::shared_ptr<progress_board> board);

// One run of an ingestion job (what the DAG task runs): started at once; its summary is printed
// when it ends, and the rest of the pipeline keeps running.
std::unique_ptr<service> make_ingest_service(std::string name, ingest::job_options o,
                                             std::shared_ptr<progress_board> board);

// Runs one ingestion job with its progress on the board under `name` (a new entry) and its summary
// printed when it ends: the ingest stage of `sluice up`, whether its DAG task or a one-off run.
// `progress` (optional) also gets every progress report.
result<ingest::job_result> run_reported_ingest(
    const std::string& name, const ingest::job_options& o, const std::atomic<bool>& stop,
    progress_board& board, const std::function<void(const ingest::job_progress&)>& progress = {});

// One line for every job: "[ 10s] ingest/users 12,000 fetched, 12,000 produced (1,000/s) |
// process/users 11,950 written (1,000/s), lag 50, ...", rates since the previous line.
std::string format_progress(progress_board& board, double seconds);

}  // namespace sluice::cli
