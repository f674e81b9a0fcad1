#include "process/job.h"

#include <librdkafka/rdkafka.h>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "base/histogram.h"
#include "base/log.h"
#include "process/offsets.h"

namespace sluice::process {
namespace {

using clock_type = std::chrono::steady_clock;

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using rk_ptr = std::unique_ptr<rd_kafka_t, rk_deleter>;

struct message_deleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using message_ptr = std::unique_ptr<rd_kafka_message_t, message_deleter>;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A record being processed: held by its write's callback, by the retry queue, or by the
// dead-letter producer until that acknowledges it.
struct pending {
  message_ptr msg;
  int attempt = 0;
  clock_type::time_point due;
  std::string kind;  // why it goes to the dead-letter topic
  std::string reason;
};

struct state {
  const job_options& o;
  decoder dec;
  std::unique_ptr<sink> out;
  std::string dead_letter_topic;
  rk_ptr dlq;
  rk_ptr consumer;
  offset_tracker offsets;
  std::shared_ptr<spdlog::logger> log = log::get("process");

  std::mutex mu;  // guards the queues and `fatal`, which callbacks on other threads fill
  std::deque<std::unique_ptr<pending>> retry;
  std::deque<std::unique_ptr<pending>> dead;
  std::string fatal;

  std::atomic<int64_t> written{0}, dead_lettered{0}, retries{0};
  int64_t consumed = 0, filtered = 0, extra_fields = 0, consumer_errors = 0;
  histogram latency_all, latency_window;  // microseconds
  std::set<int32_t> assigned, at_end;
  std::map<int32_t, int64_t> position;  // next offset to read
  std::set<std::string> extra_names;
  std::vector<cql::value> row;
  std::mt19937_64 rng{std::random_device{}()};

  explicit state(const job_options& options, decoder d) : o(options), dec(std::move(d)) {}

  void fail(std::string why) {
    std::lock_guard lock(mu);
    if (fatal.empty()) fatal = std::move(why);
  }
  bool failed() {
    std::lock_guard lock(mu);
    return !fatal.empty();
  }
};

std::chrono::milliseconds backoff(state& s, int attempt) {
  const auto cap = std::chrono::milliseconds(5000);
  auto d = s.o.retry_backoff * (int64_t{1} << std::min(attempt - 1, 16));
  if (d > cap) d = cap;
  std::uniform_int_distribution<int64_t> jitter(d.count() / 2, std::max<int64_t>(d.count(), 1));
  return std::chrono::milliseconds(jitter(s.rng));
}

void submit(state& s, std::unique_ptr<pending> p, std::vector<cql::value> row) {
  pending* raw = p.release();
  s.out->write(std::move(row), [&s, raw](result<cql::result_set> r) {
    std::unique_ptr<pending> p(raw);
    const int32_t partition = p->msg->partition;
    const int64_t offset = p->msg->offset;
    if (r) {
      rd_kafka_timestamp_type_t type;
      const int64_t ts = rd_kafka_message_timestamp(p->msg.get(), &type);
      if (ts > 0) {
        const int64_t lat = std::max<int64_t>(now_us() - ts * 1000, 0);
        s.latency_all.record(static_cast<uint64_t>(lat));
        s.latency_window.record(static_cast<uint64_t>(lat));
      }
      s.written.fetch_add(1, std::memory_order_relaxed);
      p.reset();
      s.offsets.done(partition, offset);
      return;
    }
    std::lock_guard lock(s.mu);
    if (transient(r.error())) {
      if (p->attempt == 0 || p->attempt % 50 == 0) {
        s.log->warn("writing the record at {}:{} failed ({}); retrying", partition, offset,
                    r.error().message);
      }
      p->attempt++;
      s.retry.push_back(std::move(p));
    } else {
      p->kind = "sink_refused";
      p->reason = "the table refused the row: " + r.error().message;
      s.dead.push_back(std::move(p));
    }
  });
}

void on_dead_letter_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto& s = *static_cast<state*>(opaque);
  std::unique_ptr<pending> p(static_cast<pending*>(m->_private));
  if (!p) return;
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Not committed past: a restart reads the record again and retries.
    s.fail(fmt::format("the dead-letter topic {} refused the record at {}:{}: {}",
                       s.dead_letter_topic, p->msg->partition, p->msg->offset,
                       rd_kafka_err2str(m->err)));
    return;
  }
  s.dead_lettered.fetch_add(1, std::memory_order_relaxed);
  s.offsets.done(p->msg->partition, p->msg->offset);
}

void dead_letter(state& s, std::unique_ptr<pending> p) {
  const rd_kafka_message_t* m = p->msg.get();
  rd_kafka_headers_t* source = nullptr;
  rd_kafka_headers_t* h = rd_kafka_message_headers(m, &source) == RD_KAFKA_RESP_ERR_NO_ERROR
                              ? rd_kafka_headers_copy(source)
                              : rd_kafka_headers_new(5);
  const std::string topic = s.o.topic;
  const std::string partition = std::to_string(m->partition);
  const std::string offset = std::to_string(m->offset);
  rd_kafka_header_add(h, "sluice.error", -1, p->reason.data(),
                      static_cast<ssize_t>(p->reason.size()));
  rd_kafka_header_add(h, "sluice.error.kind", -1, p->kind.data(),
                      static_cast<ssize_t>(p->kind.size()));
  rd_kafka_header_add(h, "sluice.source.topic", -1, topic.data(),
                      static_cast<ssize_t>(topic.size()));
  rd_kafka_header_add(h, "sluice.source.partition", -1, partition.data(),
                      static_cast<ssize_t>(partition.size()));
  rd_kafka_header_add(h, "sluice.source.offset", -1, offset.data(),
                      static_cast<ssize_t>(offset.size()));
  pending* raw = p.release();
  while (true) {
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(s.dlq.get(), RD_KAFKA_V_TOPIC(s.dead_letter_topic.c_str()),
                          RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                          RD_KAFKA_V_OPAQUE(raw), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(s.dlq.get(), 50);  // bounded queue: wait for deliveries
      continue;
    }
    rd_kafka_headers_destroy(h);
    std::unique_ptr<pending> back(raw);
    s.fail(fmt::format("cannot produce to the dead-letter topic {}: {}", s.dead_letter_topic,
                       rd_kafka_err2str(err)));
    return;
  }
}

// Work that callbacks on other threads handed over: due retries and records to dead-letter.
void serve(state& s) {
  rd_kafka_poll(s.dlq.get(), 0);
  std::vector<std::unique_ptr<pending>> due, dead;
  const auto now = clock_type::now();
  {
    std::lock_guard lock(s.mu);
    for (auto& p : s.dead) dead.push_back(std::move(p));
    s.dead.clear();
    for (auto it = s.retry.begin(); it != s.retry.end();) {
      if ((*it)->due == clock_type::time_point{}) (*it)->due = now + backoff(s, (*it)->attempt);
      if ((*it)->due <= now) {
        due.push_back(std::move(*it));
        it = s.retry.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& p : dead) dead_letter(s, std::move(p));
  for (auto& p : due) {
    s.retries.fetch_add(1, std::memory_order_relaxed);
    p->due = {};
    rejection why;
    const auto* payload = static_cast<const char*>(p->msg->payload);
    if (s.dec.decode({payload, p->msg->len}, s.row, why) != outcome::row) continue;  // cannot be
    submit(s, std::move(p), std::move(s.row));
  }
}

// Waits until every record taken is done, or the deadline; what is left is replayed later.
void drain(state& s, clock_type::time_point deadline) {
  while (s.offsets.in_flight() > 0 && clock_type::now() < deadline && !s.failed()) {
    serve(s);
    rd_kafka_poll(s.dlq.get(), 5);
  }
  if (const size_t left = s.offsets.in_flight(); left > 0) {
    s.log->warn("{} record(s) not finished when stopping; they will be processed again", left);
  }
}

void commit(state& s, bool sync) {
  const auto changes = sync ? s.offsets.committable() : s.offsets.changes();
  if (changes.empty()) return;
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(changes.size()));
  for (const auto& [p, off] : changes) {
    if (!s.assigned.contains(p)) continue;
    rd_kafka_topic_partition_list_add(list, s.o.topic.c_str(), p)->offset = off;
  }
  if (list->cnt > 0) {
    const rd_kafka_resp_err_t err = rd_kafka_commit(s.consumer.get(), list, sync ? 0 : 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      s.log->warn("committing offsets failed: {}", rd_kafka_err2str(err));
      s.offsets.resend();
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
}

void on_commit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
               void* opaque) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  auto& s = *static_cast<state*>(opaque);
  s.log->warn("committing offsets failed: {}", rd_kafka_err2str(err));
  s.offsets.resend();
}

void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                  void* opaque) {
  auto& s = *static_cast<state*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::string names;
    for (int i = 0; i < parts->cnt; ++i) {
      s.assigned.insert(parts->elems[i].partition);
      s.at_end.erase(parts->elems[i].partition);
      names += fmt::format("{}{}", names.empty() ? "" : ",", parts->elems[i].partition);
    }
    s.log->info("assigned partition(s) {} of {}", names.empty() ? "none" : names, s.o.topic);
    rd_kafka_assign(rk, parts);
    return;
  }
  // Revoked (or an error): finish what was taken and commit it before the partitions move on.
  drain(s, clock_type::now() + s.o.drain_timeout);
  commit(s, true);
  for (int i = 0; i < parts->cnt; ++i) {
    const int32_t p = parts->elems[i].partition;
    s.offsets.forget(p);
    s.assigned.erase(p);
    s.at_end.erase(p);
    s.position.erase(p);
  }
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    s.log->info("partitions of {} revoked", s.o.topic);
  } else {
    s.log->warn("rebalance failed: {}", rd_kafka_err2str(err));
  }
  rd_kafka_assign(rk, nullptr);
}

result<rk_ptr> make_client(rd_kafka_type_t type,
                           const std::vector<std::pair<const char*, std::string>>& settings,
                           state& s) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return make_error(errc::bad_schema, fmt::format("Kafka setting {}: {}", k, err));
    }
  }
  rd_kafka_conf_set_opaque(conf, &s);
  if (type == RD_KAFKA_PRODUCER) {
    rd_kafka_conf_set_dr_msg_cb(conf, on_dead_letter_delivery);
  } else {
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return make_error(errc::bad_schema, fmt::format("cannot create the Kafka client: {}", err));
  }
  return rk_ptr(rk);
}

void handle_record(state& s, message_ptr msg) {
  const int32_t partition = msg->partition;
  const int64_t offset = msg->offset;
  ++s.consumed;
  s.position[partition] = offset + 1;
  s.at_end.erase(partition);
  s.offsets.dispatched(partition, offset);
  rejection why;
  std::vector<std::string> extras;
  const bool report_extras = s.o.schema.extra == extra_fields::report;
  const std::string_view payload(static_cast<const char*>(msg->payload), msg->len);
  const outcome out =
      msg->payload == nullptr
          ? (why = {reject_kind::invalid_json, "the record has no value"}, outcome::rejected)
          : s.dec.decode(payload, s.row, why, report_extras ? &extras : nullptr);
  switch (out) {
    case outcome::filtered:
      ++s.filtered;
      s.offsets.done(partition, offset);
      return;
    case outcome::rejected: {
      auto p = std::make_unique<pending>();
      p->msg = std::move(msg);
      p->kind = std::string(name(why.kind));
      p->reason = std::move(why.reason);
      dead_letter(s, std::move(p));
      return;
    }
    case outcome::row: break;
  }
  if (!extras.empty()) {
    ++s.extra_fields;
    for (auto& e : extras) {
      if (s.extra_names.size() < 1000 && s.extra_names.insert(e).second) {
        s.log->warn(
            "records of {} carry field '{}', which no column of {}.{} reads: add a column to "
            "keep it, or set extra_fields: ignore",
            s.o.topic, e, s.o.sink.keyspace, s.o.sink.table);
      }
    }
  }
  auto p = std::make_unique<pending>();
  p->msg = std::move(msg);
  submit(s, std::move(p), std::move(s.row));
}

job_progress snapshot(state& s, clock_type::time_point t0, bool window) {
  job_progress p;
  p.consumed = s.consumed;
  p.written = s.written.load();
  p.filtered = s.filtered;
  p.dead_lettered = s.dead_lettered.load();
  p.retries = s.retries.load();
  p.extra_fields = s.extra_fields;
  p.partitions = static_cast<int32_t>(s.assigned.size());
  for (int32_t part : s.assigned) {
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(s.consumer.get(), s.o.topic.c_str(), part, &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0) {
      continue;
    }
    auto it = s.position.find(part);
    const int64_t at = it != s.position.end() ? it->second : lo;
    p.lag += std::max<int64_t>(hi - at, 0);
  }
  histogram& h = window ? s.latency_window : s.latency_all;
  p.p50_ms = static_cast<double>(h.percentile(0.50)) / 1000.0;
  p.p99_ms = static_cast<double>(h.percentile(0.99)) / 1000.0;
  if (window) h.reset();
  p.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  return p;
}

bool caught_up(state& s) {
  if (s.assigned.empty() || s.offsets.in_flight() > 0) return false;
  for (int32_t p : s.assigned) {
    if (!s.at_end.contains(p)) return false;
  }
  return true;
}

}  // namespace

result<job_result> run_job(const job_options& o, const std::atomic<bool>& stop,
                           const std::function<void(const job_progress&)>& progress) {
  const auto t0 = clock_type::now();
  auto dec = SLUICE_TRY(decoder::compile(o.schema));
  if (o.topic.empty()) return make_error(errc::bad_schema, "no topic to consume");
  state s(o, std::move(dec));
  s.dead_letter_topic = o.dead_letter_topic.empty() ? o.topic + ".dlq" : o.dead_letter_topic;
  if (s.dead_letter_topic == o.topic) {
    return make_error(errc::bad_schema, "the dead-letter topic cannot be the topic consumed");
  }
  sink_options so = o.sink;
  so.client.max_outstanding = std::max<size_t>(o.max_in_flight, 1);
  s.out = SLUICE_TRY(sink::open(so, s.dec));

  s.dlq = SLUICE_TRY(make_client(RD_KAFKA_PRODUCER,
                                 {{"bootstrap.servers", o.bootstrap},
                                  {"client.id", o.client_id + "-dlq"},
                                  {"acks", "all"},
                                  {"enable.idempotence", "true"},
                                  {"linger.ms", "5"},
                                  {"queue.buffering.max.messages", "10000"},
                                  {"message.timeout.ms", "120000"},
                                  {"log_level", "3"}},
                                 s));
  s.consumer = SLUICE_TRY(make_client(
      RD_KAFKA_CONSUMER,
      {{"bootstrap.servers", o.bootstrap},
       {"client.id", o.client_id},
       {"group.id", o.group},
       {"enable.auto.commit", "false"},
       {"enable.auto.offset.store", "false"},
       {"auto.offset.reset", o.from_earliest ? "earliest" : "latest"},
       {"enable.partition.eof", "true"},
       {"queued.max.messages.kbytes",
        std::to_string(std::max<int64_t>(o.fetch_buffer_bytes / 1024, 1))},
       // A count bound that the bytes reach first for records of 256
       // bytes and more, yet bounds the per-record overhead of tiny ones.
       {"queued.min.messages", std::to_string(std::max<int64_t>(o.fetch_buffer_bytes / 256, 1000))},
       {"fetch.wait.max.ms", "100"},
       {"log_level", "3"}},
      s));
  rd_kafka_poll_set_consumer(s.consumer.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, o.topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t sub = rd_kafka_subscribe(s.consumer.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (sub != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::bad_schema,
                      fmt::format("cannot subscribe to {}: {}", o.topic, rd_kafka_err2str(sub)));
  }
  s.log->info("consuming {} as group {} into {}.{}; dead letters to {}", o.topic, o.group,
              o.sink.keyspace, o.sink.table, s.dead_letter_topic);
  if (o.on_ready) o.on_ready();

  job_result r;
  auto next_commit = clock_type::now() + o.commit_interval;
  auto next_progress = clock_type::now() + o.progress_interval;
  int since_serve = 0;
  bool waiting_for_topic = false;
  while (!stop.load(std::memory_order_relaxed)) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(s.consumer.get(), since_serve == 0 ? 50 : 0);
    if (m == nullptr || ++since_serve >= 256) {
      since_serve = 0;
      serve(s);
      if (s.failed()) break;
      const auto now = clock_type::now();
      if (now >= next_commit) {
        commit(s, false);
        next_commit = now + o.commit_interval;
      }
      if (now >= next_progress) {
        if (progress) progress(snapshot(s, t0, true));
        next_progress = now + o.progress_interval;
      }
      if (o.until_caught_up && caught_up(s)) break;
    }
    if (m == nullptr) continue;
    message_ptr msg(m);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      s.at_end.insert(m->partition);
      since_serve = 0;  // let the loop notice it is caught up
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && s.assigned.empty()) {
      if (!waiting_for_topic) s.log->info("waiting for topic {} to be created", o.topic);
      waiting_for_topic = true;
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (s.consumer_errors++ % 100 == 0) {
        s.log->warn("consumer: {}", rd_kafka_message_errstr(m));
      }
      char reason[512];
      if (rd_kafka_fatal_error(s.consumer.get(), reason, sizeof reason) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        s.fail(fmt::format("the consumer failed: {}", reason));
        break;
      }
      continue;
    }
    handle_record(s, std::move(msg));
  }
  r.stopped = stop.load();
  drain(s, clock_type::now() + o.drain_timeout);
  commit(s, true);
  rd_kafka_consumer_close(s.consumer.get());
  if (rd_kafka_flush(s.dlq.get(), 10'000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Undelivered dead letters: their records stay uncommitted and are read again next time.
    rd_kafka_purge(s.dlq.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(s.dlq.get(), 0);
  }
  r.totals = snapshot(s, t0, false);
  r.p50_ms = r.totals.p50_ms;
  r.p99_ms = r.totals.p99_ms;
  // Every message must be released before the consumer is destroyed: the session ends first
  // (calling back what is unanswered), then the queues are emptied.
  s.out.reset();
  {
    std::lock_guard lock(s.mu);
    s.retry.clear();
    s.dead.clear();
    r.failure = s.fatal;
  }
  s.dlq.reset();
  s.consumer.reset();
  return r;
}

}  // namespace sluice::process
