// sluice's C++ CQL client against the table store, beside the DataStax Python driver in the same
// run, on the reference row (spark_streams.created_users: a uuid and ten text columns, 224 bytes
// of values).
//
//   client:   prepared INSERT through cql::session::execute_async, 2 connections, at most 2,048
//             requests outstanding (execute_async blocks beyond), 200,000 rows a run.
//   reads:    point-read latency of the C++ client, p50 and p99: 5,000 sequential prepared
//             SELECT * by id over rows present.
//   baseline: the DataStax Python driver (/usr/bin/python3, default Cluster settings) with a
//             prepared INSERT and execute_concurrent_with_args (concurrency 100), 20,000 rows a
//             run, against the same store.
//
// The store runs in this process on a free loopback port with `commitlog_sync: batch` (each
// answer after its write is fsynced; concurrent writes share fsyncs). Medians of 3 runs.
// Usage: cql_client_bench [JSON_OUT] [--quick]. Prints a table; writes JSON.
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "cql/client.h"
#include "cql/values.h"
#include "store/server.h"

namespace cql = sluice::cql;

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

constexpr const char* insert_query =
    "INSERT INTO spark_streams.created_users (id, first_name, last_name, gender, address, "
    "post_code, email, username, registered_date, phone, picture) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

std::vector<std::string> row_texts(int i) {
  return {fmt::format("First{}", i % 977),
          fmt::format("Last{}", i % 1013),
          i % 2 ? "female" : "male",
          fmt::format("{} Main Street, Springfield, Oregon, United States", i % 9999),
          fmt::format("{}", 10000 + i % 89999),
          fmt::format("first.last{}@example.com", i),
          fmt::format("user{}", i),
          "2016-08-15T03:51:52.468Z",
          fmt::format("(555) {:03}-{:04}", i % 1000, i % 10000),
          fmt::format("https://randomuser.me/api/portraits/men/{}.jpg", i % 100)};
}

double cpp_run(cql::session& s, const std::shared_ptr<const cql::prepared>& insert, int rows,
               int offset) {
  std::mt19937_64 rng(static_cast<uint64_t>(offset) + 1);
  std::atomic<int> done{0}, failed{0};
  const auto t0 = clock_type::now();
  for (int i = 0; i < rows; ++i) {
    cql::uuid id{};
    for (auto& b : id) b = static_cast<uint8_t>(rng());
    id[6] = static_cast<uint8_t>((id[6] & 0x0F) | 0x40);
    id[8] = static_cast<uint8_t>((id[8] & 0x3F) | 0x80);
    std::vector<cql::value> values;
    values.reserve(11);
    values.push_back(cql::value::of(cql::encode_uuid(id)));
    for (const auto& t : row_texts(offset + i))
      values.push_back(cql::value::of(cql::encode_text(t)));
    s.execute_async(insert, std::move(values), [&](sluice::result<cql::result_set> r) {
      if (!r) ++failed;
      ++done;
    });
  }
  while (done < rows) std::this_thread::sleep_for(std::chrono::microseconds(200));
  const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  if (failed > 0) {
    fmt::print(stderr, "{} inserts failed\n", failed.load());
    std::exit(1);
  }
  return rows / seconds;
}

constexpr const char* python_driver = R"(
import sys, time, uuid
from cassandra.cluster import Cluster
from cassandra.concurrent import execute_concurrent_with_args
port, rows = int(sys.argv[1]), int(sys.argv[2])
cluster = Cluster(['127.0.0.1'], port=port)
session = cluster.connect()
insert = session.prepare(sys.argv[3])
args = [(uuid.uuid4(), 'First%d' % (i % 977), 'Last%d' % (i % 1013), 'female' if i % 2 else 'male',
         '%d Main Street, Springfield, Oregon, United States' % (i % 9999), str(10000 + i % 89999),
         'first.last%d@example.com' % i, 'user%d' % i, '2016-08-15T03:51:52.468Z',
         '(555) %03d-%04d' % (i % 1000, i % 10000),
         'https://randomuser.me/api/portraits/men/%d.jpg' % (i % 100)) for i in range(rows)]
t0 = time.perf_counter()
results = execute_concurrent_with_args(session, insert, args, concurrency=100)
elapsed = time.perf_counter() - t0
assert all(ok for ok, _ in results)
print(rows / elapsed)
cluster.shutdown()
)";

double python_run(const std::string& port, int rows, const fs::path& dir) {
  const fs::path script = dir / "driver.py";
  std::ofstream(script) << python_driver;
  const std::string cmd =
      fmt::format("/usr/bin/python3 {} {} {} '{}'", script.string(), port, rows, insert_query);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return 0;
  char buf[128] = {};
  const bool got = fgets(buf, sizeof buf, p) != nullptr;
  const int code = pclose(p);
  if (!got || code != 0) {
    fmt::print(stderr, "the Python driver run failed (exit {})\n", code);
    std::exit(1);
  }
  return std::stod(buf);
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_out;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else {
      json_out = a;
    }
  }
  sluice::log::get("store")->set_level(spdlog::level::warn);
  const int cpp_rows = quick ? 20'000 : 200'000;
  const int py_rows = quick ? 2'000 : 20'000;
  const int runs = quick ? 1 : 3;

  const fs::path dir = fs::temp_directory_path() / fmt::format("sluice-client-bench-{}", getpid());
  fs::create_directories(dir);
  sluice::store::server_options so;
  so.listen = sluice::config::host_port{"127.0.0.1", 0};
  so.data_dir = dir / "store";
  so.sync = true;
  sluice::store::server server(so);
  if (auto ok = server.start(); !ok) {
    fmt::print(stderr, "store: {}\n", ok.error().message);
    return 1;
  }
  const std::string address = server.endpoint();
  const std::string port = address.substr(address.rfind(':') + 1);

  cql::client_options co;
  co.contact_points = {address};
  co.connections_per_host = 2;
  co.max_outstanding = 2048;
  auto session = cql::session::connect(co);
  if (!session) {
    fmt::print(stderr, "client: {}\n", session.error().message);
    return 1;
  }
  auto& s = **session;
  for (const char* ddl :
       {"CREATE KEYSPACE IF NOT EXISTS spark_streams WITH replication = {'class': "
        "'SimpleStrategy', 'replication_factor': '1'}",
        "CREATE TABLE IF NOT EXISTS spark_streams.created_users (id uuid PRIMARY KEY, first_name "
        "text, last_name text, gender text, address text, post_code text, email text, username "
        "text, registered_date text, phone text, picture text)"}) {
    if (auto r = s.execute(ddl); !r) {
      fmt::print(stderr, "{}\n", r.error().message);
      return 1;
    }
  }
  auto insert = s.prepare(insert_query);
  if (!insert) {
    fmt::print(stderr, "{}\n", insert.error().message);
    return 1;
  }

  std::vector<double> cpp, py;
  for (int r = 0; r < runs; ++r) {
    cpp.push_back(cpp_run(s, *insert, cpp_rows, r * cpp_rows));
    py.push_back(python_run(port, py_rows, dir));
  }
  const double c = median(cpp), p = median(py);

  // Point reads, one at a time, of rows written by the first run.
  auto read = s.prepare("SELECT * FROM spark_streams.created_users WHERE id = ?");
  if (!read) {
    fmt::print(stderr, "{}\n", read.error().message);
    return 1;
  }
  std::vector<cql::uuid> ids;
  {
    cql::statement_options o;
    o.page_size = 5000;
    auto page = s.execute("SELECT id FROM spark_streams.created_users", {}, o);
    if (page) {
      for (int32_t i = 0; i < page->rows.row_count; ++i) {
        if (auto id = cql::decode_uuid(*cql::cell_at(*page, static_cast<size_t>(i), 0))) {
          ids.push_back(*id);
        }
      }
    }
  }
  std::vector<double> latencies;
  const int reads = quick ? 1'000 : 5'000;
  for (int i = 0; i < reads && !ids.empty(); ++i) {
    const auto t0 = clock_type::now();
    auto r = s.execute(
        *read, {cql::value::of(cql::encode_uuid(ids[static_cast<size_t>(i) % ids.size()]))});
    latencies.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    if (!r || r->rows.row_count != 1) {
      fmt::print(stderr, "a point read failed\n");
      return 1;
    }
  }
  std::sort(latencies.begin(), latencies.end());
  const double p50 = latencies.empty() ? 0 : latencies[latencies.size() / 2];
  const double p99 = latencies.empty() ? 0 : latencies[latencies.size() * 99 / 100];
  auto count = s.execute("SELECT count(*) FROM spark_streams.created_users");
  const int64_t rows =
      count ? cql::decode_bigint(*cql::cell_at(*count, 0, 0)).value_or(-1) : int64_t{-1};

  fmt::print("{:<62} {:>14}\n", "measure (median of " + std::to_string(runs) + ")", "inserts/s");
  fmt::print("{:<62} {:>14.0f}\n", "sluice C++ client, execute_async, 2 connections", c);
  fmt::print("{:<62} {:>14.0f}\n", "baseline: DataStax Python driver, execute_concurrent(100)", p);
  fmt::print("{:<62} {:>13.1f}x\n", "C++ client / Python driver", c / p);
  fmt::print("{:<62} {:>7.0f} / {:.0f} us\n", "C++ client point read, p50 / p99", p50, p99);
  fmt::print("rows in the table: {} (expected {})\n", rows,
             static_cast<int64_t>(runs) * (cpp_rows + py_rows));
  if (!json_out.empty()) {
    std::ofstream(json_out) << fmt::format(
        "{{\"cpp_inserts_per_s\": {:.0f}, \"python_inserts_per_s\": {:.0f}, \"ratio\": {:.2f}, "
        "\"cpp_runs\": [{}], \"python_runs\": [{}], \"rows\": {}, \"read_p50_us\": {:.1f}, "
        "\"read_p99_us\": {:.1f}}}\n",
        c, p, c / p, fmt::join(cpp, ", "), fmt::join(py, ", "), rows, p50, p99);
  }
  session->reset();
  server.stop();
  fs::remove_all(dir);
  return 0;
}
