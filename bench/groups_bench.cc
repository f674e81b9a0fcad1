// Consumer-group coordination, measured with librdkafka's high-level consumer against the broker
// running in this process on loopback.
//
//   rebalance: two members own a 6-partition topic; a third joins; the time from its subscribe()
//              until all three hold their new assignment (2 partitions each). The others learn of
//              the rebalance from a heartbeat, so the figure follows heartbeat.interval.ms: it is
//              measured at librdkafka's default (3 s) and at 100 ms.
//   coordinator: the same join of a third member driven straight into the coordinator, with no
//              network and no client: the broker's own share of a rebalance.
//   commits:   one member committing synchronously in a loop (commits/s), with the journal
//              fsynced per commit (fsync: acks_all, the default) and not (fsync: never).
//   baseline:  the disk's own rate of small appends each followed by fdatasync, in the same run
//              and directory: the ceiling for durable commits one at a time.
//
// Usage: groups_bench [JSON_OUT] [--quick]. Prints a table; writes JSON.
#include <fcntl.h>
#include <librdkafka/rdkafkacpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "broker/broker.h"
#include "groups/coordinator.h"

namespace {

using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void set(RdKafka::Conf* c, const std::string& k, const std::string& v) {
  std::string err;
  if (c->set(k, v, err) != RdKafka::Conf::CONF_OK) {
    fmt::print(stderr, "{}={}: {}\n", k, v, err);
    std::exit(1);
  }
}

// A consumer-group member polling on its own thread; it records when its latest assignment came.
class member : public RdKafka::RebalanceCb {
 public:
  member(const std::string& bootstrap, const std::string& group, int heartbeat_ms) {
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string err;
    set(conf.get(), "bootstrap.servers", bootstrap);
    set(conf.get(), "group.id", group);
    set(conf.get(), "session.timeout.ms", "6000");
    set(conf.get(), "heartbeat.interval.ms", std::to_string(heartbeat_ms));
    set(conf.get(), "partition.assignment.strategy", "range");
    set(conf.get(), "enable.auto.commit", "false");
    set(conf.get(), "log_level", "3");
    conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), err);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!consumer_) {
      fmt::print(stderr, "consumer: {}\n", err);
      std::exit(1);
    }
  }
  ~member() override { stop(); }

  void start(const std::string& topic) {
    consumer_->subscribe({topic});
    thread_ = std::thread([this] {
      while (!stopping_) delete consumer_->consume(50);
    });
  }
  void stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    thread_.join();
    consumer_->close();
  }
  // Partitions held and when they were assigned.
  std::pair<size_t, clock_type::time_point> held() {
    std::lock_guard lock(mu_);
    return {owned_, assigned_at_};
  }
  RdKafka::KafkaConsumer& consumer() { return *consumer_; }

  void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode e,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    std::lock_guard lock(mu_);
    if (e == RdKafka::ERR__ASSIGN_PARTITIONS) {
      c->assign(partitions);
      owned_ = partitions.size();
      assigned_at_ = clock_type::now();
    } else {
      c->unassign();
      owned_ = 0;
    }
  }

 private:
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  size_t owned_ = 0;
  clock_type::time_point assigned_at_{};
};

bool wait_spread(std::vector<member*> members, size_t each, clock_type::time_point after,
                 double timeout_ms) {
  const auto start = clock_type::now();
  while (ms_since(start) < timeout_ms) {
    bool ok = true;
    for (member* m : members) {
      auto [n, at] = m->held();
      ok = ok && n == each && at > after;
    }
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Median ms from a third member's subscribe() to all three holding 2 partitions each.
double rebalance_ms(const std::string& bootstrap, int heartbeat_ms, int reps) {
  const std::string group = fmt::format("rebalance-{}", heartbeat_ms);
  member a(bootstrap, group, heartbeat_ms), b(bootstrap, group, heartbeat_ms);
  const auto t0 = clock_type::now();
  a.start("six");
  b.start("six");
  if (!wait_spread({&a, &b}, 3, t0, 60000)) {
    fmt::print(stderr, "two members never settled\n");
    std::exit(1);
  }
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    auto c = std::make_unique<member>(bootstrap, group, heartbeat_ms);
    const auto joined = clock_type::now();
    c->start("six");
    if (!wait_spread({&a, &b, c.get()}, 2, joined, 60000)) {
      fmt::print(stderr, "three members never settled\n");
      std::exit(1);
    }
    times.push_back(ms_since(joined));
    const auto left = clock_type::now();
    c->stop();  // LeaveGroup: back to two members before the next repetition
    if (!wait_spread({&a, &b}, 3, left, 60000)) {
      fmt::print(stderr, "two members never settled after a leave\n");
      std::exit(1);
    }
  }
  return median(times);
}

// The coordinator alone: a third member's join and sync of a stable two-member group, in µs.
double coordinator_us(int reps) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("sluice-gbench-{}", getpid());
  fs::remove_all(dir);
  sluice::groups::coordinator_options o;
  o.sync = false;
  auto c = std::move(*sluice::groups::coordinator::open(dir, o, {}));
  auto request = [](std::string id) {
    sluice::groups::join_request r;
    r.group_id = "g";
    r.member_id = std::move(id);
    r.client_id = "bench";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.protocol_type = "consumer";
    r.protocols = {{"range", std::vector<uint8_t>(40, 1)}};
    return r;
  };
  std::vector<double> times;
  sluice::groups::millis now = 0;
  std::vector<std::string> ids(3);
  auto join = [&](int who) {
    c->join(
        request(ids[static_cast<size_t>(who)]), {now, 0},
        [&, who](sluice::groups::join_result r) { ids[static_cast<size_t>(who)] = r.member_id; });
  };
  auto sync = [&](int who, int32_t generation) {
    c->sync({"g", generation, ids[static_cast<size_t>(who)], std::nullopt, {}}, {now, 0},
            [](sluice::groups::sync_result) {});
  };
  join(0);
  sync(0, 1);
  join(1);
  join(0);
  sync(0, 2);
  sync(1, 2);
  int32_t generation = 2;
  for (int i = 0; i < reps; ++i) {
    ++now;
    const auto t = clock_type::now();
    ids[2].clear();
    join(2);  // parks: the others must rejoin
    join(0);
    join(1);  // completes the join phase
    ++generation;
    sync(1, generation);
    sync(2, generation);
    sync(0, generation);  // the leader's assignment: Stable
    times.push_back(ms_since(t) * 1000);
    c->leave("g", ids[2], std::nullopt, {now, 0});
    join(0);
    join(1);
    ++generation;
    sync(0, generation);
    sync(1, generation);
  }
  fs::remove_all(dir);
  return median(times);
}

// Synchronous commits per second by one member of a stable group.
double commits_per_s(const std::string& bootstrap, const std::string& group, int count) {
  member m(bootstrap, group, 100);
  const auto t0 = clock_type::now();
  m.start("six");
  if (!wait_spread({&m}, 6, t0, 60000)) {
    fmt::print(stderr, "the committer never got its partitions\n");
    std::exit(1);
  }
  std::vector<RdKafka::TopicPartition*> offsets{RdKafka::TopicPartition::create("six", 0, 0)};
  const auto start = clock_type::now();
  for (int i = 0; i < count; ++i) {
    offsets[0]->set_offset(i);
    if (auto e = m.consumer().commitSync(offsets); e != RdKafka::ERR_NO_ERROR) {
      fmt::print(stderr, "commit: {}\n", RdKafka::err2str(e));
      std::exit(1);
    }
  }
  const double rate = count / (ms_since(start) / 1000);
  RdKafka::TopicPartition::destroy(offsets);
  return rate;
}

// Small appends each made durable with fdatasync, per second.
double fdatasync_per_s(const fs::path& dir, int count) {
  const fs::path file = dir / "fdatasync-probe";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const std::string entry(80, 'x');
  const auto start = clock_type::now();
  for (int i = 0; i < count; ++i) {
    if (::write(fd, entry.data(), entry.size()) < 0 || ::fdatasync(fd) != 0) std::exit(1);
  }
  const double rate = count / (ms_since(start) / 1000);
  ::close(fd);
  fs::remove(file);
  return rate;
}

struct running_broker {
  fs::path dir;
  std::unique_ptr<sluice::broker::broker> broker;
  std::string bootstrap;

  explicit running_broker(sluice::broker::fsync_policy fsync) {
    dir = fs::temp_directory_path() /
          fmt::format("sluice-gbench-{}-{}", getpid(), static_cast<int>(fsync));
    fs::remove_all(dir);
    sluice::broker::broker_options o;
    o.listen = {"127.0.0.1", 0};
    o.data_dir = dir.string();
    o.default_partitions = 6;
    o.fsync = fsync;
    broker = std::make_unique<sluice::broker::broker>(o);
    if (auto r = broker->start(); !r) {
      fmt::print(stderr, "broker: {}\n", r.error().message);
      std::exit(1);
    }
    bootstrap = broker->endpoint();
    // One message creates the topic (auto-create, 6 partitions).
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string err;
    set(conf.get(), "bootstrap.servers", bootstrap);
    std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf.get(), err));
    p->produce("six", 0, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>("x"), 1, nullptr, 0, 0,
               nullptr);
    if (p->flush(10000) != RdKafka::ERR_NO_ERROR) std::exit(1);
  }
  ~running_broker() {
    broker->stop();
    fs::remove_all(dir);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string json_out = argc > 1 && argv[1][0] != '-' ? argv[1] : "groups_bench.json";
  const bool quick = std::string_view(argv[argc - 1]) == "--quick";
  sluice::log::setup(sluice::log::level::warn, sluice::log::format::text);
  const int reps = quick ? 2 : 5;
  const int commits = quick ? 300 : 3000;

  running_broker synced(sluice::broker::fsync_policy::acks_all);
  const double fast = rebalance_ms(synced.bootstrap, 100, reps);
  const double slow = rebalance_ms(synced.bootstrap, 3000, quick ? 1 : 3);
  const double coord = coordinator_us(quick ? 100 : 10000);
  const double durable = commits_per_s(synced.bootstrap, "committer", commits);
  const double ceiling = fdatasync_per_s(synced.dir, commits);
  running_broker unsynced(sluice::broker::fsync_policy::never);
  const double loose = commits_per_s(unsynced.bootstrap, "committer", commits * 3);

  fmt::print("{:<58} {:>14}\n", "measure", "median");
  fmt::print("{:<58} {:>11.1f} ms\n", "3rd member joins -> Stable (heartbeat.interval.ms=100)",
             fast);
  fmt::print("{:<58} {:>11.1f} ms\n", "3rd member joins -> Stable (heartbeat.interval.ms=3000)",
             slow);
  fmt::print("{:<58} {:>11.1f} us\n", "coordinator alone: 3rd member join + sync", coord);
  fmt::print("{:<58} {:>10.0f} /s\n", "commitSync, journal fsynced (fsync: acks_all)", durable);
  fmt::print("{:<58} {:>10.0f} /s\n", "commitSync, journal not fsynced (fsync: never)", loose);
  fmt::print("{:<58} {:>10.0f} /s\n", "baseline: 80-byte append + fdatasync, same disk", ceiling);

  std::ofstream js(json_out);
  js << fmt::format(
      "{{\"rebalance_ms_hb100\": {:.2f}, \"rebalance_ms_hb3000\": {:.2f}, "
      "\"coordinator_join_sync_us\": {:.2f}, \"commits_per_s_fsync\": {:.1f}, "
      "\"commits_per_s_no_fsync\": {:.1f}, \"fdatasync_per_s\": {:.1f}}}\n",
      fast, slow, coord, durable, loose, ceiling);
  return 0;
}
