// The reference pipeline's processing hop, and the whole pipeline end to end. The broker
// (`fsync: acks_all`), the table store (`commitlog_sync: batch`) and the random-user API run in
// this process on loopback; the jobs are `sluice ingest`'s and `sluice process`'s (ingest/job.h,
// process/job.h) with their default settings.
//
//   process:    a topic prefilled with 300,000 reference records (from the API, results=5000);
//               the processor reads it in a new group until caught up. Rows/s from the moment it
//               subscribed to the last row acknowledged and its offsets committed.
//   end to end: the processor subscribed to an empty topic, then ingestion of 200,000 users:
//               users/s from the first API request to the last row acknowledged (sampled every
//               10 ms), and latency from each record's timestamp (set when the ingest job
//               produced it) to its row acknowledged, p50 and p99, at full speed.
//   paced:      a librdkafka producer paced at 10,000 records/s for 10 s (linger.ms 2), the
//               processor following: latency p50 and p99, record timestamp to row acknowledged.
//   baseline:   the same processing in Python (bench/pipeline_baseline.py: kafka-python and the
//               DataStax driver; per-record synchronous inserts, and per-batch concurrent
//               inserts) on the same prefilled topic, against the same broker and store.
//
// Each measurement starts once the process is idle (the store's compactions of the rows written
// by the one before have finished; at most 20 s). Medians of 3 runs. Usage: pipeline_bench
// [JSON_OUT] [--quick] [--end-to-end]. Prints a table; writes JSON. `--end-to-end` measures only
// the end-to-end run (for profiling it).
#include <librdkafka/rdkafkacpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "api/server.h"
#include "base/log.h"
#include "broker/broker.h"
#include "ingest/job.h"
#include "process/job.h"
#include "store/server.h"

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// This process's CPU time so far (all threads), in seconds.
double cpu_seconds() {
  std::ifstream in("/proc/self/stat");
  std::string field;
  // utime and stime are fields 14 and 15; the command name (field 2) has no spaces here.
  unsigned long long utime = 0, stime = 0;
  for (int i = 1; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Waits (at most 20 s) until the servers in this process are idle: under 5% of a core for a
// quarter of a second. A measurement then does not pay for the previous one's leftovers (the
// store's compactions of the rows just written, the broker's flushes).
void settle() {
  const auto deadline = clock_type::now() + 20s;
  while (clock_type::now() < deadline) {
    const double before = cpu_seconds();
    std::this_thread::sleep_for(250ms);
    if (cpu_seconds() - before < 0.05 * 0.25) return;
  }
}

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "pipeline_bench: {}\n", what);
  std::exit(1);
}

struct endpoints {
  std::string api_url, bootstrap, cql;
};

sluice::process::job_options process_options(const endpoints& e, const std::string& topic,
                                             const std::string& group, const std::string& table) {
  sluice::process::job_options o;
  o.bootstrap = e.bootstrap;
  o.topic = topic;
  o.group = group;
  o.sink.client.contact_points = {e.cql};
  o.sink.table = table;
  return o;
}

void ingest(const endpoints& e, const std::string& topic, int64_t count) {
  sluice::ingest::job_options o;
  o.url = e.api_url;
  o.bootstrap = e.bootstrap;
  o.topic = topic;
  o.count = count;
  o.duration = 0ms;
  o.results_per_request = 5000;
  o.concurrency = 2;
  std::atomic<bool> stop{false};
  auto r = sluice::ingest::run_job(o, stop);
  if (!r || !r->ok()) fail("ingest: " + (r ? r->failure : r.error().message));
}

// The processor over a prefilled topic until caught up: rows/s from subscribed to done.
double process_prefilled(const endpoints& e, const std::string& topic, int run, int64_t count) {
  auto o =
      process_options(e, topic, fmt::format("bench-{}", run), fmt::format("caught_up_{}", run));
  o.until_caught_up = true;
  clock_type::time_point ready;
  o.on_ready = [&] { ready = clock_type::now(); };
  std::atomic<bool> stop{false};
  auto r = sluice::process::run_job(o, stop);
  const double seconds = std::chrono::duration<double>(clock_type::now() - ready).count();
  if (!r || !r->ok()) fail("process: " + (r ? r->failure : r.error().message));
  if (r->totals.written != count) {
    fail(fmt::format("process wrote {} rows, expected {}", r->totals.written, count));
  }
  return static_cast<double>(count) / seconds;
}

// A processor running in its own thread until `stop`, its written count sampled every 10 ms.
class follower {
 public:
  follower(const endpoints& e, const std::string& topic, const std::string& table) {
    auto o = process_options(e, topic, "follow-" + topic, table);
    o.progress_interval = 10ms;
    std::atomic<bool> ready{false};
    o.on_ready = [&ready] { ready = true; };
    thread_ = std::thread([this, o] {
      result_ = sluice::process::run_job(o, stop_, [this](const sluice::process::job_progress& p) {
        written_ = p.written;
        partitions_ = p.partitions;
      });
      finished_ = true;
    });
    while (!ready && !finished_) std::this_thread::sleep_for(1ms);
  }
  ~follower() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  bool wait_assigned(std::chrono::seconds limit) {
    const auto deadline = clock_type::now() + limit;
    while (partitions_ == 0 && !finished_ && clock_type::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    return partitions_ > 0;
  }
  // The moment `count` rows were acknowledged, or fails after `limit`.
  clock_type::time_point wait_written(int64_t count, std::chrono::seconds limit) {
    const auto deadline = clock_type::now() + limit;
    while (written_ < count) {
      if (finished_ || clock_type::now() > deadline) {
        fail(fmt::format("the processor wrote {} of {} rows", written_.load(), count));
      }
      std::this_thread::sleep_for(200us);
    }
    return clock_type::now();
  }
  sluice::process::job_result finish() {
    stop_ = true;
    thread_.join();
    if (!result_ || !result_->ok()) {
      fail("process: " + (result_ ? result_->failure : result_.error().message));
    }
    return *result_;
  }

 private:
  std::atomic<bool> stop_{false}, finished_{false};
  std::atomic<int64_t> written_{0};
  std::atomic<int32_t> partitions_{0};
  sluice::result<sluice::process::job_result> result_ = sluice::process::job_result{};
  std::thread thread_;
};

// A record of the reference shape with a random version-4 UUID.
std::string reference_record(std::mt19937_64& rng, int64_t i) {
  const uint64_t a = rng(), b = rng();
  const auto id =
      fmt::format("{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff,
                  a & 0xfff, 8 + (b >> 62), (b >> 48) & 0xfff, b & 0xffffffffffff);
  return fmt::format(
      R"({{"id": "{}", "first_name": "First{}", "last_name": "Last{}", "gender": "{}", )"
      R"("address": "{} Main Street, Springfield, Oregon, United States", "post_code": "{}", )"
      R"("email": "first.last{}@example.com", "username": "user{}", )"
      R"("dob": "1985-03-14T07:21:09.123Z", "registered_date": "2016-08-15T03:51:52.468Z", )"
      R"("phone": "(555) {:03}-{:04}", "picture": "https://randomuser.me/api/portraits/men/{}.jpg"}})",
      id, i % 977, i % 1013, i % 2 ? "female" : "male", i % 9999, 10000 + i % 89999, i, i, i % 1000,
      i % 10000, i % 100);
}

class producer {
 public:
  explicit producer(const std::string& bootstrap) {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", bootstrap, err);
    conf->set("acks", "all", err);
    conf->set("enable.idempotence", "true", err);
    conf->set("linger.ms", "2", err);
    p_.reset(RdKafka::Producer::create(conf.get(), err));
    if (!p_) fail("producer: " + err);
  }
  void send(const std::string& topic, const std::string& value) {
    while (true) {
      auto e = p_->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                           const_cast<char*>(value.data()), value.size(), nullptr, 0, 0, nullptr);
      if (e == RdKafka::ERR_NO_ERROR) break;
      if (e != RdKafka::ERR__QUEUE_FULL) fail("produce: " + RdKafka::err2str(e));
      p_->poll(1);
    }
    p_->poll(0);
  }
  void flush() {
    if (p_->flush(30'000) != RdKafka::ERR_NO_ERROR) fail("producer flush timed out");
  }

 private:
  std::unique_ptr<RdKafka::Producer> p_;
};

struct latency {
  double p50_ms, p99_ms;
};

// `rate` records/s for `seconds`, the processor following. Latency of the whole run.
latency paced(const endpoints& e, int run, int rate, int seconds) {
  const std::string topic = fmt::format("paced{}", run);
  std::mt19937_64 rng(static_cast<uint64_t>(run) + 7);
  producer p(e.bootstrap);
  p.send(topic, reference_record(rng, 0));
  p.flush();
  follower f(e, topic, fmt::format("paced_{}", run));
  if (!f.wait_assigned(30s)) fail("the processor got no partition of " + topic);
  const int64_t total = static_cast<int64_t>(rate) * seconds;
  const auto t0 = clock_type::now();
  for (int64_t i = 1; i <= total; ++i) {
    // The i-th record leaves at t0 + i/rate: no bursts, and no drift when a send runs late.
    std::this_thread::sleep_until(t0 + std::chrono::nanoseconds(i * 1'000'000'000 / rate));
    p.send(topic, reference_record(rng, i));
  }
  p.flush();
  f.wait_written(total + 1, 60s);
  const auto r = f.finish();
  return {r.p50_ms, r.p99_ms};
}

struct end_to_end {
  double users_per_s;
  latency lat;
};

end_to_end api_to_table(const endpoints& e, int run, int64_t count) {
  const std::string topic = fmt::format("e2e{}", run);
  std::mt19937_64 rng(static_cast<uint64_t>(run) + 99);
  {
    producer p(e.bootstrap);  // the topic exists before the processor subscribes
    p.send(topic, reference_record(rng, 0));
    p.flush();
  }
  follower f(e, topic, fmt::format("e2e_{}", run));
  if (!f.wait_assigned(30s)) fail("the processor got no partition of " + topic);
  const auto t0 = clock_type::now();
  ingest(e, topic, count);
  const auto t1 = f.wait_written(count + 1, 120s);
  const auto r = f.finish();
  return {static_cast<double>(count) / std::chrono::duration<double>(t1 - t0).count(),
          {r.p50_ms, r.p99_ms}};
}

double python_run(const endpoints& e, const std::string& topic, int run, int64_t count,
                  const std::string& mode) {
  const std::string port = e.cql.substr(e.cql.rfind(':') + 1);
  const std::string cmd = fmt::format(
      "/usr/bin/python3 {}/pipeline_baseline.py {} {} {} py-{}-{} {} {} spark_streams.py_{}",
      SLUICE_BENCH_DIR, e.bootstrap, port, topic, mode, run, count, mode, mode);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) fail("cannot run " + cmd);
  char buf[128] = {};
  const bool got = fgets(buf, sizeof buf, p) != nullptr;
  const int code = pclose(p);
  if (!got || code != 0) fail(fmt::format("the Python baseline failed (exit {}): {}", code, cmd));
  return std::stod(buf);
}

void create_python_tables(const endpoints& e) {
  // The processor creates its tables; the Python job expects them, as the tutorials do.
  auto o = process_options(e, "unused", "unused", "py_sync");
  for (const char* t : {"py_sync", "py_concurrent"}) {
    o.sink.table = t;
    auto d = sluice::process::decoder::compile(o.schema);
    if (!d) fail(d.error().message);
    if (auto s = sluice::process::sink::open(o.sink, *d); !s) fail(s.error().message);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_out;
  bool quick = false, only_e2e = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--quick") {
      quick = true;
    } else if (std::string_view(argv[i]) == "--end-to-end") {
      only_e2e = true;
    } else {
      json_out = argv[i];
    }
  }
  for (const char* m : {"broker", "api", "storage", "groups", "store", "process", "cql"}) {
    sluice::log::get(m)->set_level(spdlog::level::warn);
  }
  const fs::path dir =
      fs::temp_directory_path() / fmt::format("sluice-pipeline-bench-{}", getpid());
  sluice::broker::broker_options bo;
  bo.listen = {"127.0.0.1", 0};
  bo.data_dir = (dir / "broker").string();
  sluice::broker::broker broker(bo);
  sluice::store::server_options so;
  so.listen = {"127.0.0.1", 0};
  so.data_dir = dir / "store";
  sluice::store::server store(so);
  sluice::api::server_options ao;
  ao.listen = {"127.0.0.1", 0};
  sluice::api::server api(ao);
  for (sluice::service* s : std::initializer_list<sluice::service*>{&broker, &store, &api}) {
    if (auto ok = s->start(); !ok) fail(fmt::format("{}: {}", s->name(), ok.error().message));
  }
  const endpoints e{fmt::format("http://{}/api/", api.endpoint()), broker.endpoint(),
                    store.endpoint()};

  const int runs = quick ? 1 : 3;
  const int64_t prefilled = quick ? 30'000 : 300'000;
  const int64_t e2e_users = quick ? 20'000 : 200'000;
  const int paced_seconds = quick ? 2 : 10;
  const int64_t py_sync = quick ? 1'000 : 5'000, py_concurrent = quick ? 3'000 : 20'000;

  if (only_e2e) {
    std::vector<double> e2e;
    for (int r = 0; r < runs; ++r) {
      settle();
      e2e.push_back(api_to_table(e, r, e2e_users).users_per_s);
    }
    fmt::print("end to end, {} users: {:.0f} users/s (runs: {:.0f})\n", e2e_users, median(e2e),
               fmt::join(e2e, ", "));
    api.stop();
    store.stop();
    broker.stop();
    fs::remove_all(dir);
    return 0;
  }
  ingest(e, "prefilled", prefilled);
  create_python_tables(e);
  std::vector<double> proc, e2e, e2e_p50, e2e_p99, paced_p50, paced_p99, sync, conc;
  for (int r = 0; r < runs; ++r) {
    settle();
    proc.push_back(process_prefilled(e, "prefilled", r, prefilled));
    settle();
    const auto x = api_to_table(e, r, e2e_users);
    e2e.push_back(x.users_per_s);
    e2e_p50.push_back(x.lat.p50_ms);
    e2e_p99.push_back(x.lat.p99_ms);
    settle();
    const auto l = paced(e, r, 10'000, paced_seconds);
    paced_p50.push_back(l.p50_ms);
    paced_p99.push_back(l.p99_ms);
    settle();
    sync.push_back(python_run(e, "prefilled", r, py_sync, "sync"));
    conc.push_back(python_run(e, "prefilled", r, py_concurrent, "concurrent"));
  }
  api.stop();
  store.stop();
  broker.stop();
  fs::remove_all(dir);

  const double p = median(proc), s = median(sync), c = median(conc);
  fmt::print("{:<66} {:>12}\n", fmt::format("measure (median of {})", runs), "records/s");
  fmt::print("{:<66} {:>12.0f}\n",
             fmt::format("sluice process: {} records, topic -> table", prefilled), p);
  fmt::print(
      "{:<66} {:>12.0f}\n",
      fmt::format("end to end: API -> ingest -> topic -> process -> table, {} users", e2e_users),
      median(e2e));
  fmt::print("{:<66} {:>12.0f}\n", "baseline: Python, kafka-python + driver, insert per record", s);
  fmt::print("{:<66} {:>12.0f}\n", "baseline: Python, kafka-python + driver, concurrent(100)", c);
  fmt::print("{:<66} {:>11.1f}x\n", "sluice process / Python per record", p / s);
  fmt::print("{:<66} {:>11.1f}x\n", "sluice process / Python concurrent", p / c);
  fmt::print("{:<66} {:>12}\n", "latency, record timestamp -> row acknowledged", "p50 / p99 ms");
  fmt::print("{:<66} {:>5.1f} / {:.1f}\n", "paced producer, 10,000 records/s", median(paced_p50),
             median(paced_p99));
  fmt::print("{:<66} {:>5.1f} / {:.1f}\n", "end to end at full speed", median(e2e_p50),
             median(e2e_p99));
  if (!json_out.empty()) {
    std::ofstream(json_out) << fmt::format(
        "{{\"process_rows_per_s\": {:.0f}, \"process_runs\": [{:.0f}], "
        "\"end_to_end_users_per_s\": {:.0f}, \"end_to_end_runs\": [{:.0f}], "
        "\"python_sync_rows_per_s\": {:.0f}, \"python_concurrent_rows_per_s\": {:.0f}, "
        "\"ratio_vs_python_sync\": {:.1f}, \"ratio_vs_python_concurrent\": {:.1f}, "
        "\"paced_10k_p50_ms\": {:.2f}, \"paced_10k_p99_ms\": {:.2f}, "
        "\"full_speed_p50_ms\": {:.2f}, \"full_speed_p99_ms\": {:.2f}}}\n",
        p, fmt::join(proc, ", "), median(e2e), fmt::join(e2e, ", "), s, c, p / s, p / c,
        median(paced_p50), median(paced_p99), median(e2e_p50), median(e2e_p99));
  }
  return 0;
}
