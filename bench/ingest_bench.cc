// The ingestion job end to end: the random-user API and the broker in this process on loopback,
// `sluice ingest`'s job (ingest/job.h) between them, acks=all with the broker's default
// `fsync: acks_all`. Users/s from the first request to the last record acknowledged.
//
//   batched:  results=5000 per request, 2 requests in flight, 200,000 users
//   baseline: one request per user, one at a time (the classic pipeline's loop), 3,000 users,
//             against the same API and broker in the same run
//
// Medians of 3 runs. Usage: ingest_bench [JSON_OUT] [--quick]. Prints a table; writes JSON.
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "api/server.h"
#include "base/log.h"
#include "broker/broker.h"
#include "ingest/job.h"

namespace {

namespace fs = std::filesystem;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double run(const std::string& url, const std::string& bootstrap, const std::string& topic,
           int64_t count, int per_request, int concurrency) {
  sluice::ingest::job_options o;
  o.url = url;
  o.bootstrap = bootstrap;
  o.topic = topic;
  o.count = count;
  o.duration = std::chrono::milliseconds(0);
  o.results_per_request = per_request;
  o.concurrency = concurrency;
  std::atomic<bool> stop{false};
  auto r = sluice::ingest::run_job(o, stop);
  if (!r || !r->ok()) {
    fmt::print(stderr, "ingest failed: {}\n", r ? r->failure : r.error().message);
    std::exit(1);
  }
  return static_cast<double>(r->totals.produced) / r->totals.seconds;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_out;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--quick") {
      quick = true;
    } else {
      json_out = argv[i];
    }
  }
  for (const char* m : {"broker", "api", "storage", "groups"}) {
    sluice::log::get(m)->set_level(spdlog::level::warn);
  }
  const fs::path dir = fs::temp_directory_path() / fmt::format("sluice-ingest-bench-{}", getpid());
  sluice::broker::broker_options bo;
  bo.listen = {"127.0.0.1", 0};
  bo.data_dir = dir.string();
  sluice::broker::broker broker(bo);
  sluice::api::server_options ao;
  ao.listen = {"127.0.0.1", 0};
  sluice::api::server api(ao);
  if (!broker.start() || !api.start()) {
    fmt::print(stderr, "cannot start the broker or the API\n");
    return 1;
  }
  const std::string url = fmt::format("http://{}/api/", api.endpoint());
  const int runs = quick ? 1 : 3;
  const int64_t batched_users = quick ? 20'000 : 200'000;
  const int64_t single_users = quick ? 500 : 3'000;
  std::vector<double> batched, single;
  for (int r = 0; r < runs; ++r) {
    batched.push_back(
        run(url, broker.endpoint(), fmt::format("batched{}", r), batched_users, 5000, 2));
    single.push_back(run(url, broker.endpoint(), fmt::format("single{}", r), single_users, 1, 1));
  }
  api.stop();
  broker.stop();
  fs::remove_all(dir);
  const double b = median(batched), s = median(single);
  fmt::print("{:<64} {:>10}\n",
             fmt::format("API -> acknowledged in the topic (median of {})", runs), "users/s");
  fmt::print("{:<64} {:>10.0f}\n", "sluice ingest, results=5000, 2 requests in flight", b);
  fmt::print("{:<64} {:>10.0f}\n", "baseline: one request per user, one at a time", s);
  fmt::print("{:<64} {:>9.1f}x\n", "ratio", b / s);
  if (!json_out.empty()) {
    std::ofstream(json_out) << fmt::format(
        "{{\"batched_users_per_s\": {:.0f}, \"per_user_users_per_s\": {:.0f}, \"ratio\": "
        "{:.1f}}}\n",
        b, s, b / s);
  }
  return 0;
}
