// The table store's engine in this process, on a temporary directory, with no network: what the
// store itself costs per write and per read, below any protocol or driver.
//
//   inserts:  the pipeline's reference row (spark_streams.created_users: a uuid key and ten text
//             columns of randomuser.me-like values) written by a prepared INSERT executed with
//             bound values, each insert committed alone or 64 at a time in one commit (as the
//             server's group commit does when requests arrive together); with the write-ahead
//             log synced on every commit (sync=true, `commitlog_sync: batch`) and not
//             (sync=false, `periodic`). Each run starts from an empty directory.
//   reads:    the latency of one prepared SELECT * by id over rows present (100,000 rows written
//             first, so reads meet both the memtable and flushed tables); p50 and p99.
//   baseline: the disk's own rate of small appends each followed by fdatasync, in the same run
//             and directory: the ceiling for durable writes made one at a time.
//
// Every figure is the median of 3 runs. Usage: store_bench [JSON_OUT] [--quick]. Prints a table;
// writes JSON.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "store/engine.h"

namespace {

using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;
using sluice::store::engine;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Quantile q of a sample (sorts it).
double quantile(std::vector<double>& v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

template <typename T>
T check(sluice::result<T> r, std::string_view what) {
  if (!r) {
    fmt::print(stderr, "{}: {}\n", what, r.error().message);
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

constexpr std::string_view create_keyspace =
    "CREATE KEYSPACE IF NOT EXISTS spark_streams WITH replication = {'class': 'SimpleStrategy', "
    "'replication_factor': '1'}";
constexpr std::string_view create_table =
    "CREATE TABLE IF NOT EXISTS spark_streams.created_users (id uuid PRIMARY KEY, first_name "
    "text, last_name text, gender text, address text, post_code text, email text, username text, "
    "registered_date text, phone text, picture text)";
constexpr std::string_view insert_query =
    "INSERT INTO spark_streams.created_users (id, first_name, last_name, gender, address, "
    "post_code, email, username, registered_date, phone, picture) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?)";
constexpr std::string_view select_query = "SELECT * FROM spark_streams.created_users WHERE id = ?";
constexpr size_t columns = 11;

// Rows of the reference table as randomuser.me produces them; cells own their bytes.
struct rows {
  std::vector<std::array<std::string, columns>> cells;

  rows(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto pick = [&](std::initializer_list<std::string_view> l) {
      return std::string(*(l.begin() + rng() % l.size()));
    };
    cells.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      std::array<std::string, columns> r;
      std::string id(16, '\0');
      for (char& c : id) c = static_cast<char>(rng());
      id[6] = static_cast<char>((id[6] & 0x0f) | 0x40);  // version 4
      id[8] = static_cast<char>((id[8] & 0x3f) | 0x80);  // variant 1
      const std::string first = pick({"Jennifer", "Mathias", "Aurélie", "Sebastian", "Noah",
                                      "Eleanor", "Vanessa", "Kristian", "Maximilian", "Lotta"});
      const std::string last = pick({"Hoffmann", "Lefebvre", "Kristiansen", "Okafor", "Wheeler",
                                     "Martínez", "Karjalainen", "Thompson", "Vasquez", "Noor"});
      const unsigned n4 = static_cast<unsigned>(rng() % 9000 + 1000);
      r[0] = std::move(id);
      r[1] = first;
      r[2] = last;
      r[3] = rng() % 2 ? "female" : "male";
      r[4] =
          fmt::format("{} {}, {}, {}, {}", n4,
                      pick({"Rue de L'Abbé-Migeon", "Mill Road", "Kirkegårdsveien",
                            "Calle de Segovia", "Hauptstraße", "Oak Lawn Ave"}),
                      pick({"Saint-Étienne", "Worcester", "Trondheim", "Valencia", "Düsseldorf"}),
                      pick({"Haute-Corse", "Hampshire", "Trøndelag", "Galicia", "Hessen"}),
                      pick({"France", "United Kingdom", "Norway", "Spain", "Germany"}));
      r[5] = fmt::format("{}", rng() % 90000 + 10000);
      r[6] = fmt::format("{}.{}{}@example.com", first, last, rng() % 100);
      r[7] = fmt::format("{}{}{}", pick({"blue", "silver", "crazy", "tiny", "heavy", "lazy"}),
                         pick({"bird", "tiger", "panda", "swan", "koala", "goose"}), rng() % 1000);
      r[8] = fmt::format("20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", rng() % 23 + 2,
                         rng() % 12 + 1, rng() % 28 + 1, rng() % 24, rng() % 60, rng() % 60,
                         rng() % 1000);
      r[9] =
          fmt::format("({:03})-{:03}-{:04}", rng() % 900 + 100, rng() % 900 + 100, rng() % 10000);
      r[10] = fmt::format("https://randomuser.me/api/portraits/med/{}/{}.jpg",
                          r[3] == "female" ? "women" : "men", rng() % 100);
      cells.push_back(std::move(r));
    }
  }

  [[nodiscard]] std::array<sluice::cql::wire::value, columns> values(size_t i) const {
    std::array<sluice::cql::wire::value, columns> v;
    for (size_t c = 0; c < columns; ++c) v[c].bytes = sluice::as_bytes_view(cells[i][c]);
    return v;
  }
  [[nodiscard]] size_t row_bytes() const {
    size_t n = 0;
    for (const auto& r : cells)
      for (const auto& c : r) n += c.size();
    return n / cells.size();
  }
};

// An engine on a fresh directory with the reference table.
struct store {
  fs::path dir;
  std::unique_ptr<engine> eng;
  sluice::store::session session;
  std::shared_ptr<const sluice::store::prepared_statement> insert, select;

  store(const fs::path& d, bool sync) : dir(d) {
    fs::remove_all(dir);
    sluice::store::engine_options o;
    o.dir = dir;
    o.sync = sync;
    eng = check(engine::open(o), "open");
    check(eng->run(create_keyspace, session), "create keyspace");
    check(eng->run(create_table, session), "create table");
    insert = check(eng->prepare(insert_query, session), "prepare insert");
    select = check(eng->prepare(select_query, session), "prepare select");
  }
  ~store() {
    eng.reset();
    fs::remove_all(dir);
  }

  // Inserts rows [from, to) committing `group` inserts at a time; returns inserts/s.
  double write(const rows& data, size_t from, size_t to, size_t group) {
    std::vector<sluice::store::kv_change> pending;
    size_t in_group = 0;
    const auto start = clock_type::now();
    for (size_t i = from; i < to; ++i) {
      const auto v = data.values(i);
      auto out = check(eng->execute(*insert, session, v, {}), "insert");
      if (group == 1) {
        check(eng->commit(out.changes), "commit");
        continue;
      }
      std::move(out.changes.begin(), out.changes.end(), std::back_inserter(pending));
      if (++in_group == group || i + 1 == to) {
        check(eng->commit(pending), "commit");
        pending.clear();
        in_group = 0;
      }
    }
    return static_cast<double>(to - from) / seconds_since(start);
  }
};

// Inserts/s writing `n` rows into an empty store, median of `runs`.
double inserts_per_s(const fs::path& base, const rows& data, size_t n, bool sync, size_t group,
                     int runs) {
  std::vector<double> rates;
  for (int r = 0; r < runs; ++r) {
    store s(base / fmt::format("inserts-{}-{}-{}", sync, group, r), sync);
    rates.push_back(s.write(data, 0, n, group));
  }
  return median(rates);
}

struct latency {
  double p50_us, p99_us;
};

// Point reads by id over `n` rows present: p50 and p99 of `reads` reads, medians of `runs`.
latency point_reads(const fs::path& base, const rows& data, size_t n, size_t reads, int runs) {
  std::vector<double> p50s, p99s;
  std::mt19937_64 rng(7);
  for (int r = 0; r < runs; ++r) {
    store s(base / fmt::format("reads-{}", r), false);
    s.write(data, 0, n, 64);
    std::vector<double> us;
    us.reserve(reads);
    for (size_t i = 0; i < reads; ++i) {
      const size_t row = rng() % n;
      const sluice::cql::wire::value key{sluice::cql::wire::value::set,
                                         sluice::as_bytes_view(data.cells[row][0])};
      const auto t = clock_type::now();
      auto out = check(s.eng->execute(*s.select, s.session, {&key, 1}, {}), "select");
      us.push_back(seconds_since(t) * 1e6);
      if (out.response.rows.row_count != 1) {
        fmt::print(stderr, "select found {} rows\n", out.response.rows.row_count);
        std::exit(1);
      }
    }
    p50s.push_back(quantile(us, 0.50));
    p99s.push_back(quantile(us, 0.99));
  }
  return {median(p50s), median(p99s)};
}

// Small appends each made durable with fdatasync, per second; median of `runs`.
double fdatasync_per_s(const fs::path& dir, int count, int runs) {
  std::vector<double> rates;
  for (int r = 0; r < runs; ++r) {
    const fs::path file = dir / "fdatasync-probe";
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const std::string entry(448, 'x');  // one reference row's WAL record is about 445 bytes
    const auto start = clock_type::now();
    for (int i = 0; i < count; ++i) {
      if (::write(fd, entry.data(), entry.size()) < 0 || ::fdatasync(fd) != 0) std::exit(1);
    }
    rates.push_back(count / seconds_since(start));
    ::close(fd);
    fs::remove(file);
  }
  return median(rates);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string json_out = argc > 1 && argv[1][0] != '-' ? argv[1] : "store_bench.json";
  const bool quick = std::string_view(argv[argc - 1]) == "--quick";
  sluice::log::setup(sluice::log::level::warn, sluice::log::format::text);
  const int runs = quick ? 1 : 3;
  const size_t synced_alone = quick ? 300 : 3000;  // one fsync each: a few thousand per second
  const size_t many = quick ? 5000 : 100'000;      // every other write mode
  const size_t reads = quick ? 2000 : 20'000;

  const fs::path base = fs::temp_directory_path() / fmt::format("sluice-store-bench-{}", getpid());
  fs::remove_all(base);
  fs::create_directories(base);
  const rows data(many, 42);

  const double sync_1 = inserts_per_s(base, data, synced_alone, true, 1, runs);
  const double sync_64 = inserts_per_s(base, data, many, true, 64, runs);
  const double nosync_1 = inserts_per_s(base, data, many, false, 1, runs);
  const double nosync_64 = inserts_per_s(base, data, many, false, 64, runs);
  const latency read = point_reads(base, data, many, reads, runs);
  const double ceiling = fdatasync_per_s(base, static_cast<int>(synced_alone), runs);
  fs::remove_all(base);

  fmt::print("reference row: {} bytes of values; medians of {} runs\n", data.row_bytes(), runs);
  fmt::print("{:<60} {:>14} {:>9}\n", "measure", "median", "baseline");
  auto rate = [&](std::string_view what, double v) {
    fmt::print("{:<60} {:>11.0f} /s {:>8.2f}x\n", what, v, v / ceiling);
  };
  rate("insert, commit each, sync=true (commitlog_sync batch)", sync_1);
  rate("insert, commit 64 at a time, sync=true", sync_64);
  rate("insert, commit each, sync=false (periodic)", nosync_1);
  rate("insert, commit 64 at a time, sync=false", nosync_64);
  fmt::print("{:<60} {:>11.1f} us\n", "point read by id (SELECT *), p50", read.p50_us);
  fmt::print("{:<60} {:>11.1f} us\n", "point read by id (SELECT *), p99", read.p99_us);
  rate("baseline: 448-byte append + fdatasync, same disk", ceiling);

  std::ofstream js(json_out);
  js << fmt::format(
      "{{\"row_bytes\": {}, \"inserts_per_s_sync_commit1\": {:.1f}, "
      "\"inserts_per_s_sync_commit64\": {:.1f}, \"inserts_per_s_nosync_commit1\": {:.1f}, "
      "\"inserts_per_s_nosync_commit64\": {:.1f}, \"point_read_p50_us\": {:.2f}, "
      "\"point_read_p99_us\": {:.2f}, \"fdatasync_per_s\": {:.1f}}}\n",
      data.row_bytes(), sync_1, sync_64, nosync_1, nosync_64, read.p50_us, read.p99_us, ceiling);
  return 0;
}
