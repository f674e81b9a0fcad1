// Broker throughput and latency, measured with librdkafka (the client real deployments use)
// against the broker running in this process on loopback.
//
//   produce: one producer, N messages of 100 B and 1 KiB, acks=1 and acks=all; messages/s and
//            MB/s from the first produce() to the last delivery report
//   latency: one message in flight at a time; p50/p99 from produce() to delivery report
//   fetch:   one consumer reading the 100-byte topic from the start
//   baselines: loopback TCP bandwidth (one sender, one receiver, 1 MiB writes) and the disk's
//            sequential write bandwidth (1 GiB in 1 MiB direct writes, then fdatasync, beside the
//            broker's data) in the same run
//
// Usage: broker_bench [JSON_OUT] [--quick] [--large]. Prints a table; writes JSON. `--large`
// measures only large-batch produce (1 GiB of 64 KiB and of 512 KiB messages, acks=1) and the
// baselines, to profile it.
#include <fcntl.h>
#include <librdkafka/rdkafkacpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "broker/broker.h"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Loopback TCP: bytes/s of one connection moving `total` bytes in 1 MiB writes.
double loopback_bandwidth(size_t total) {
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len);
  listen(ls, 1);
  std::thread receiver([&] {
    int c = accept(ls, nullptr, nullptr);
    std::vector<char> buf(1 << 20);
    size_t got = 0;
    while (got < total) {
      ssize_t n = recv(c, buf.data(), buf.size(), 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    close(c);
  });
  int s = socket(AF_INET, SOCK_STREAM, 0);
  connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  std::vector<char> buf(1 << 20, 'x');
  const auto start = clock_type::now();
  for (size_t sent = 0; sent < total;) {
    ssize_t n = send(s, buf.data(), std::min(buf.size(), total - sent), 0);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  receiver.join();
  const double secs = seconds_since(start);
  close(s);
  close(ls);
  return static_cast<double>(total) / secs;
}

// The disk under `dir`: bytes/s of writing `total` bytes sequentially in 1 MiB direct (O_DIRECT)
// writes from one aligned buffer, then fdatasync. Buffered writes with a final fdatasync where
// the file system refuses direct I/O (tmpfs). 0 if the file cannot be written.
double disk_bandwidth(const std::filesystem::path& dir, size_t total) {
  const auto path = dir / "disk-baseline";
  constexpr size_t chunk = 1 << 20;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
  if (fd < 0) fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 0;
  void* raw = nullptr;
  if (posix_memalign(&raw, 4096, chunk) != 0) return 0;
  std::unique_ptr<void, decltype(&free)> buf(raw, free);
  std::memset(raw, 'd', chunk);
  const auto start = clock_type::now();
  bool ok = true;
  for (size_t done = 0; ok && done < total; done += chunk) {
    ok = ::pwrite(fd, raw, chunk, static_cast<off_t>(done)) == static_cast<ssize_t>(chunk);
  }
  ok = ok && ::fdatasync(fd) == 0;
  const double secs = seconds_since(start);
  ::close(fd);
  std::filesystem::remove(path);
  return ok ? static_cast<double>(total) / secs : 0;
}

struct delivery final : RdKafka::DeliveryReportCb {
  std::atomic<int64_t> ok{0}, failed{0};
  std::vector<double>* latencies = nullptr;
  clock_type::time_point sent_at;
  void dr_cb(RdKafka::Message& m) override {
    if (m.err() == RdKafka::ERR_NO_ERROR) {
      ++ok;
      if (latencies) latencies->push_back(seconds_since(sent_at) * 1e6);
    } else {
      ++failed;
    }
  }
};

std::unique_ptr<RdKafka::Producer> make_producer(const std::string& bootstrap, const char* acks,
                                                 delivery& dr, bool batching) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("acks", acks, err);
  conf->set("dr_cb", &dr, err);
  conf->set("linger.ms", batching ? "5" : "0", err);
  conf->set("batch.size", "1000000", err);
  conf->set("queue.buffering.max.messages", "1000000", err);
  conf->set("queue.buffering.max.kbytes", "1048576", err);
  auto* p = RdKafka::Producer::create(conf.get(), err);
  if (p == nullptr) throw std::runtime_error(err);
  return std::unique_ptr<RdKafka::Producer>(p);
}

struct produce_result {
  double msgs_per_s;
  double bytes_per_s;
};

produce_result produce(const std::string& bootstrap, const std::string& topic, const char* acks,
                       int64_t count, size_t size) {
  delivery dr;
  auto p = make_producer(bootstrap, acks, dr, true);
  std::string payload(size, 'p');
  const auto start = clock_type::now();
  for (int64_t i = 0; i < count; ++i) {
    for (;;) {
      auto e = p->produce(topic, 0, RdKafka::Producer::RK_MSG_COPY, payload.data(), payload.size(),
                          nullptr, 0, 0, nullptr);
      if (e == RdKafka::ERR_NO_ERROR) break;
      if (e != RdKafka::ERR__QUEUE_FULL)
        throw std::runtime_error("produce: " + RdKafka::err2str(e));
      p->poll(1);  // queue full: let deliveries drain it
    }
    if ((i & 1023) == 0) p->poll(0);
  }
  p->flush(120000);
  const double secs = seconds_since(start);
  if (dr.ok != count)
    throw std::runtime_error(fmt::format("{} of {} delivered", dr.ok.load(), count));
  return {count / secs, static_cast<double>(count) * static_cast<double>(size) / secs};
}

std::pair<double, double> latency(const std::string& bootstrap, const char* acks, int count) {
  delivery dr;
  std::vector<double> lat;
  dr.latencies = &lat;
  auto p = make_producer(bootstrap, acks, dr, false);
  std::string payload(100, 'l');
  for (int i = 0; i < count + 50; ++i) {
    dr.sent_at = clock_type::now();
    p->produce("latency", 0, RdKafka::Producer::RK_MSG_COPY, payload.data(), payload.size(),
               nullptr, 0, 0, nullptr);
    const int64_t want = dr.ok + dr.failed + 1;
    while (dr.ok + dr.failed < want) p->poll(10);
  }
  lat.erase(lat.begin(), lat.begin() + 50);  // warm-up
  std::sort(lat.begin(), lat.end());
  return {lat[lat.size() / 2], lat[lat.size() * 99 / 100]};
}

produce_result fetch_all(const std::string& bootstrap, const std::string& topic, int64_t count,
                         size_t size) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("fetch.message.max.bytes", "10485760", err);
  std::unique_ptr<RdKafka::Consumer> c(RdKafka::Consumer::create(conf.get(), err));
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(c.get(), topic, nullptr, err));
  c->start(t.get(), 0, RdKafka::Topic::OFFSET_BEGINNING);
  struct counter final : RdKafka::ConsumeCb {
    int64_t got = 0;
    std::string error;
    void consume_cb(RdKafka::Message& m, void*) override {
      if (m.err() == RdKafka::ERR_NO_ERROR) {
        ++got;
      } else if (m.err() != RdKafka::ERR__PARTITION_EOF && m.err() != RdKafka::ERR__TIMED_OUT) {
        error = m.errstr();
      }
    }
  } cb;
  const auto start = clock_type::now();
  while (cb.got < count && cb.error.empty()) c->consume_callback(t.get(), 0, 1000, &cb, nullptr);
  if (!cb.error.empty()) throw std::runtime_error(cb.error);
  const double secs = seconds_since(start);
  c->stop(t.get(), 0);
  return {count / secs, static_cast<double>(count) * static_cast<double>(size) / secs};
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_out = "broker_bench.json";
  bool quick = false, large_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--large") {
      large_only = true;
    } else {
      json_out = a;
    }
  }
  const int runs = quick ? 1 : 3;
  const int64_t small_count = quick ? 200'000 : 2'000'000;
  const int64_t large_count = quick ? 50'000 : 500'000;
  sluice::log::setup(sluice::log::level::warn, sluice::log::format::text);

  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("sluice-bench-{}", getpid());
  std::filesystem::remove_all(dir);
  sluice::broker::broker_options o;
  o.listen = {"127.0.0.1", 0};
  o.data_dir = dir.string();
  sluice::broker::broker b(o);
  if (auto r = b.start(); !r) {
    fmt::print(stderr, "broker: {}\n", r.error().message);
    return 1;
  }
  const std::string bootstrap = b.endpoint();

  std::vector<double> loop, disk;
  for (int i = 0; i < runs; ++i) {
    loop.push_back(loopback_bandwidth(size_t{2} << 30));
    disk.push_back(disk_bandwidth(dir, size_t{1} << 30));
  }
  const double loopback = median(loop);
  const double disk_write = median(disk);

  struct row {
    std::string name;
    double msgs, bytes;
  };
  std::vector<row> rows;
  auto measure = [&](const std::string& name, const std::string& topic, const char* acks,
                     int64_t count, size_t size) {
    std::vector<double> m, by;
    for (int i = 0; i < runs; ++i) {
      auto r = produce(bootstrap, fmt::format("{}-{}", topic, i), acks, count, size);
      m.push_back(r.msgs_per_s);
      by.push_back(r.bytes_per_s);
    }
    rows.push_back({name, median(m), median(by)});
  };
  std::optional<std::pair<double, double>> lat1, latall;
  if (large_only) {
    measure("produce 64 KiB, acks=1", "l64ka1", "1", 16 * 1024, 64 * 1024);
    measure("produce 512 KiB, acks=1", "l512ka1", "1", 2048, 512 * 1024);
  } else {
    measure("produce 100 B, acks=1", "p100a1", "1", small_count, 100);
    measure("produce 100 B, acks=all (fsync)", "p100aall", "all", small_count, 100);
    measure("produce 1 KiB, acks=1", "p1ka1", "1", large_count, 1024);
    measure("produce 1 KiB, acks=all (fsync)", "p1kaall", "all", large_count, 1024);
    measure("produce 64 KiB, acks=1", "p64ka1", "1", large_count / 32, 64 * 1024);
    measure("produce 512 KiB, acks=1", "p512ka1", "1", large_count / 256, 512 * 1024);
    std::vector<double> m, by;
    for (int i = 0; i < runs; ++i) {
      auto r = fetch_all(bootstrap, "p100a1-0", small_count, 100);
      m.push_back(r.msgs_per_s);
      by.push_back(r.bytes_per_s);
    }
    rows.push_back({"fetch 100 B (one consumer)", median(m), median(by)});
    lat1 = latency(bootstrap, "1", quick ? 500 : 3000);
    latall = latency(bootstrap, "all", quick ? 500 : 3000);
  }
  b.stop();
  std::filesystem::remove_all(dir);

  fmt::print("{:<36} {:>14} {:>12} {:>12} {:>12}\n", "measure (median of runs)", "msgs/s", "MB/s",
             "of loopback", "of disk");
  for (const auto& r : rows) {
    fmt::print("{:<36} {:>14.0f} {:>12.1f} {:>11.1f}% {:>11.1f}%\n", r.name, r.msgs, r.bytes / 1e6,
               100.0 * r.bytes / loopback, 100.0 * r.bytes / disk_write);
  }
  fmt::print("{:<36} {:>14} {:>12.1f}\n", "loopback TCP (baseline)", "", loopback / 1e6);
  fmt::print("{:<36} {:>14} {:>12.1f}\n", "disk write, direct (baseline)", "", disk_write / 1e6);
  if (lat1 && latall) {
    fmt::print("produce latency, acks=1:   p50 {:.0f} us, p99 {:.0f} us\n", lat1->first,
               lat1->second);
    fmt::print("produce latency, acks=all: p50 {:.0f} us, p99 {:.0f} us\n", latall->first,
               latall->second);
  }

  std::ofstream js(json_out);
  js << "{\n  \"runs\": " << runs << ",\n  \"loopback_bytes_per_s\": " << loopback
     << ",\n  \"disk_write_bytes_per_s\": " << disk_write << ",\n  \"throughput\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    js << fmt::format(
        "    {{\"name\": \"{}\", \"msgs_per_s\": {:.0f}, \"bytes_per_s\": {:.0f}}}{}\n",
        rows[i].name, rows[i].msgs, rows[i].bytes, i + 1 < rows.size() ? "," : "");
  }
  js << "  ]";
  if (lat1 && latall) {
    js << fmt::format(
        ",\n  \"latency_us\": {{\"acks_1\": {{\"p50\": {:.0f}, \"p99\": {:.0f}}}, "
        "\"acks_all\": {{\"p50\": {:.0f}, \"p99\": {:.0f}}}}}",
        lat1->first, lat1->second, latall->first, latall->second);
  }
  js << "\n}\n";
  return 0;
}
