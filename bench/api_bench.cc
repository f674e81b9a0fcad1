// The offline random-user API, measured over HTTP on loopback (the server in this process,
// clients on their own threads with cpp-httplib keep-alive connections):
//
//   per user:   GET /api/?results=1, 4 clients: users/s (the reference pipeline's pattern of one
//               request per user)
//   batched:    GET /api/?results=5000, 4 clients: users/s and MB/s of JSON
//   baseline:   the generator alone, in process, one thread: users/s with no HTTP at all (the
//               ceiling the server can approach)
//
// Each figure is the median of 3 runs of 2 seconds. Usage: api_bench [JSON_OUT] [--quick].
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "api/generator.h"
#include "api/server.h"
#include "base/log.h"

namespace {

using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct rate {
  double users_per_s;
  double mb_per_s;
};

rate over_http(int port, int results, int clients, std::chrono::milliseconds span) {
  std::atomic<int64_t> users{0}, bytes{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto t0 = clock_type::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      for (int i = 0; !stop; ++i) {
        auto r =
            client.Get(fmt::format("/api/?results={}&seed=bench{}&page={}", results, c, i + 1));
        if (!r || r->status != 200) continue;
        users += results;
        bytes += static_cast<int64_t>(r->body.size());
      }
    });
  }
  std::this_thread::sleep_for(span);
  stop = true;
  for (auto& t : threads) t.join();
  const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
  return {static_cast<double>(users) / s, static_cast<double>(bytes) / s / 1e6};
}

double in_process(std::chrono::milliseconds span) {
  const sluice::api::generator gen(sluice::api::days_today());
  sluice::api::request q;
  q.results = 1000;
  q.seed = "bench";
  int64_t users = 0;
  const auto t0 = clock_type::now();
  while (clock_type::now() - t0 < span) {
    ++q.page;
    users += static_cast<int64_t>(gen.respond(q).size() > 0) * q.results;
  }
  return static_cast<double>(users) / std::chrono::duration<double>(clock_type::now() - t0).count();
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
  sluice::log::get("api")->set_level(spdlog::level::warn);
  sluice::api::server_options o;
  o.listen = sluice::config::host_port{"127.0.0.1", 0};
  sluice::api::server server(o);
  if (auto ok = server.start(); !ok) {
    fmt::print(stderr, "{}\n", ok.error().message);
    return 1;
  }
  const std::string ep = server.endpoint();
  const int port = std::stoi(ep.substr(ep.rfind(':') + 1));
  const auto span = std::chrono::milliseconds(quick ? 300 : 2000);
  const int runs = quick ? 1 : 3;
  std::vector<double> single, batched, batched_mb, alone;
  for (int r = 0; r < runs; ++r) {
    single.push_back(over_http(port, 1, 4, span).users_per_s);
    const rate b = over_http(port, 5000, 4, span);
    batched.push_back(b.users_per_s);
    batched_mb.push_back(b.mb_per_s);
    alone.push_back(in_process(span));
  }
  server.stop();
  const double s = median(single), b = median(batched), a = median(alone);
  fmt::print("{:<56} {:>12}\n", fmt::format("measure (median of {})", runs), "users/s");
  fmt::print("{:<56} {:>12.0f}\n", "HTTP, results=1 (one request per user), 4 clients", s);
  fmt::print("{:<56} {:>12.0f}  ({:.1f} MB/s)\n", "HTTP, results=5000, 4 clients", b,
             median(batched_mb));
  fmt::print("{:<56} {:>12.0f}\n", "baseline: the generator alone, in process, 1 thread", a);
  fmt::print("{:<56} {:>11.1f}x\n", "results=5000 / results=1", b / s);
  if (!json_out.empty()) {
    std::ofstream(json_out) << fmt::format(
        "{{\"per_user_users_per_s\": {:.0f}, \"batched_users_per_s\": {:.0f}, "
        "\"batched_mb_per_s\": {:.1f}, \"generator_users_per_s\": {:.0f}}}\n",
        s, b, median(batched_mb), a);
  }
  return 0;
}
