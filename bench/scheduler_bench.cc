// The scheduler, through its real path: `sluice scheduler`'s service (scheduling thread, executor,
// REST API) in this process, runs triggered with POST /api/v1/dags/{id}/dagRuns, as a user or a
// tool would.
//
//   latency:    trigger -> the task's try started (the instance's start_date), one `true` task,
//               30 runs one after another
//   throughput: one run of a DAG with 1,000 independent `true` command tasks (each a real
//               /bin/sh subprocess), parallelism 16: trigger -> run finished, tasks a second
//
// On SQLite (a temporary file) and, when SLUICE_TEST_POSTGRES_URL is set (scripts/with-postgres
// sets it), on PostgreSQL. Medians of 3 throughput runs. Usage: scheduler_bench [JSON_OUT].
#include <httplib.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "base/log.h"
#include "orchestrator/service.h"

extern char** environ;

namespace {

using namespace sluice;
using namespace sluice::orchestrator;
using std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

config::dag dag_of(const std::string& id, int tasks) {
  config::dag d{.id = id};
  for (int i = 0; i < tasks; ++i) {
    d.tasks.push_back(config::task{.id = fmt::format("t{}", i), .command = "true"});
  }
  return d;
}

struct harness {
  std::unique_ptr<scheduler_service> svc;
  std::unique_ptr<state_store> db;
  std::unique_ptr<httplib::Client> http;

  explicit harness(const std::string& url) {
    auto dags = compile({dag_of("one", 1), dag_of("wide", 1000)});
    service_options o{.metadata_url = url, .dags = std::move(*dags)};
    o.scheduler.parallelism = 16;
    o.http = config::host_port{"127.0.0.1", 0};
    svc = std::make_unique<scheduler_service>(std::move(o));
    if (auto r = svc->start(); !r) {
      fmt::print(stderr, "scheduler: {}\n", r.error().message);
      std::exit(1);
    }
    db = std::move(*state_store::open(url));
    const std::string ep = svc->endpoint();  // http://127.0.0.1:PORT/api/v1
    const auto port = std::stoi(ep.substr(ep.rfind(':') + 1));
    http = std::make_unique<httplib::Client>("127.0.0.1", port);
  }

  std::string trigger(const std::string& dag, int n) {
    const std::string run_id = fmt::format("bench_{}_{}", dag, n);
    auto r = http->Post(fmt::format("/api/v1/dags/{}/dagRuns", dag),
                        fmt::format(R"({{"dag_run_id": "{}"}})", run_id), "application/json");
    if (!r || r->status != 200) {
      fmt::print(stderr, "trigger failed: {}\n", r ? r->body : "no answer");
      std::exit(1);
    }
    return run_id;
  }

  run_state wait_run(const std::string& dag, const std::string& run_id) {
    while (true) {
      auto run = db->run(dag, run_id);
      if (run && *run &&
          ((*run)->state == run_state::success || (*run)->state == run_state::failed)) {
        return (*run)->state;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
};

// The machine's own limit for the throughput workload: 1,000 `/bin/sh -c true` processes, 16 at a
// time, spawned and reaped directly (no scheduler, no database).
double spawn_baseline() {
  const auto t0 = steady_clock::now();
  int running = 0, started = 0;
  char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"), const_cast<char*>("true"),
                  nullptr};
  while (started < 1000 || running > 0) {
    while (running < 16 && started < 1000) {
      pid_t pid = 0;
      if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, environ) != 0) std::exit(1);
      ++running;
      ++started;
    }
    int status = 0;
    if (wait(&status) > 0) --running;
  }
  return 1000.0 / std::chrono::duration<double>(steady_clock::now() - t0).count();
}

struct figures {
  std::string backend;
  double latency_p50_ms, latency_p95_ms, tasks_per_s, ms_per_task;
};

figures measure(const std::string& backend, const std::string& url) {
  harness h(url);
  std::vector<double> latency;
  for (int i = 0; i < 30; ++i) {
    // Start dates are kept in whole milliseconds: compare against the trigger's millisecond.
    const auto wall =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const std::string run = h.trigger("one", i);
    h.wait_run("one", run);
    auto ti = h.db->task({"one", run, "t0"});
    latency.push_back(std::chrono::duration<double, std::milli>(
                          (*ti)->start_date->time_since_epoch() - wall.time_since_epoch())
                          .count());
  }
  std::vector<double> rates;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = steady_clock::now();
    const std::string run = h.trigger("wide", i);
    if (h.wait_run("wide", run) != run_state::success) {
      fmt::print(stderr, "the 1,000-task run failed\n");
      std::exit(1);
    }
    rates.push_back(1000.0 / std::chrono::duration<double>(steady_clock::now() - t0).count());
  }
  h.svc->stop();
  const double rate = median(rates);
  return {backend, median(latency), percentile(latency, 0.95), rate, 1000.0 / rate};
}

}  // namespace

int main(int argc, char** argv) {
  sluice::log::setup(sluice::log::level::warn, sluice::log::format::text);
  std::vector<figures> all;
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("sluice-scheduler-bench-{}", getpid());
  std::filesystem::create_directories(dir);
  all.push_back(measure("sqlite", "sqlite://" + (dir / "metadata.db").string()));
  if (const char* pg = std::getenv("SLUICE_TEST_POSTGRES_URL"); pg != nullptr && *pg != '\0') {
    all.push_back(measure("postgresql", pg));
  }
  std::filesystem::remove_all(dir);
  std::vector<double> spawned;
  for (int i = 0; i < 3; ++i) spawned.push_back(spawn_baseline());
  const double baseline = median(spawned);
  fmt::print("{:<12} {:>18} {:>18} {:>14} {:>12}\n", "metadata", "trigger->start p50",
             "trigger->start p95", "tasks/s", "ms/task");
  std::string json = "[";
  for (const auto& f : all) {
    fmt::print("{:<12} {:>15.1f} ms {:>15.1f} ms {:>14.0f} {:>12.2f}\n", f.backend,
               f.latency_p50_ms, f.latency_p95_ms, f.tasks_per_s, f.ms_per_task);
    json += fmt::format(
        R"({}{{"backend": "{}", "trigger_to_start_p50_ms": {:.2f}, "trigger_to_start_p95_ms": {:.2f}, "tasks_per_second": {:.1f}, "ms_per_task": {:.3f}}})",
        json.size() > 1 ? ", " : "", f.backend, f.latency_p50_ms, f.latency_p95_ms, f.tasks_per_s,
        f.ms_per_task);
  }
  fmt::print(
      "{:<12} {:>18} {:>18} {:>14.0f} {:>12.2f}   (1,000 sh -c true, 16 at a time, no "
      "scheduler)\n",
      "baseline", "-", "-", baseline, 1000.0 / baseline);
  json += fmt::format(R"(, {{"backend": "spawn_only", "tasks_per_second": {:.1f}}})", baseline);
  json += "]\n";
  if (argc > 1) std::ofstream(argv[1]) << json;
  return 0;
}
