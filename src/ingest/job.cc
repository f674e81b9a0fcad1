#include "ingest/job.h"

#include <librdkafka/rdkafka.h>

#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "base/thread_name.h"

namespace sluice::ingest {
namespace {

using clock_type = std::chrono::steady_clock;

struct delivery_counts {
  std::atomic<int64_t> produced{0};
  std::atomic<int64_t> failed{0};
  std::mutex mu;
  std::string first_error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* counts = static_cast<delivery_counts*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++counts->produced;
    return;
  }
  ++counts->failed;
  std::lock_guard lock(counts->mu);
  if (counts->first_error.empty()) counts->first_error = rd_kafka_err2str(m->err);
}

struct producer_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using producer_ptr = std::unique_ptr<rd_kafka_t, producer_deleter>;

result<producer_ptr> make_producer(const job_options& o, delivery_counts& counts) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", o.bootstrap},  {"acks", "all"},    {"enable.idempotence", "true"},
      {"compression.type", o.compression}, {"linger.ms", "5"}, {"batch.size", "1000000"},
      {"message.timeout.ms", "60000"},     {"log_level", "3"},
  };
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return make_error(fetch_errc::refused, fmt::format("producer setting {}: {}", k, err));
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &counts);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return make_error(fetch_errc::refused, fmt::format("cannot create the producer: {}", err));
  }
  return producer_ptr(rk);
}

std::string page_url(const job_options& o, const std::string& seed, int64_t page, int results) {
  const char sep = o.url.find('?') == std::string::npos ? '?' : '&';
  return fmt::format("{}{}results={}&page={}&seed={}", o.url, sep, results, page, seed);
}

}  // namespace

result<job_result> run_job(const job_options& o, const std::atomic<bool>& stop,
                           const std::function<void(const job_progress&)>& progress) {
  const mapping map = SLUICE_TRY(mapping::compile(o.mapping));
  if (o.topic.empty()) return make_error(fetch_errc::refused, "no topic to produce to");
  if (o.count <= 0 && o.duration.count() <= 0) {
    return make_error(fetch_errc::refused, "the job needs a count or a duration to end");
  }
  delivery_counts counts;
  producer_ptr producer = SLUICE_TRY(make_producer(o, counts));
  // Ask for the topic's metadata now: librdkafka otherwise looks up a topic first seen at the
  // first produce on its once-a-second topic scan, which would hold every record of a short job
  // (and the start of a long one) for up to a second. A failure here is not final: deliveries
  // retry until message.timeout.ms and are counted.
  if (rd_kafka_topic_t* t = rd_kafka_topic_new(producer.get(), o.topic.c_str(), nullptr)) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(producer.get(), 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(t);
  }
  const std::string seed =
      o.seed.empty()
          ? fmt::format("{:016x}",
                        std::random_device{}() * 0x9e3779b97f4a7c15ULL ^
                            static_cast<uint64_t>(clock_type::now().time_since_epoch().count()))
          : o.seed;

  fetch_stats stats;
  rate_limiter limiter(o.rate_limit);
  // The workers' stop: a stop request, the duration's end, or a failure. Running out of records
  // to claim is not one: requests in flight finish, and what they fail to yield is claimed again.
  std::atomic<bool> halt{false};
  std::atomic<int> running{0};
  std::atomic<int64_t> budget{o.count > 0 ? o.count : INT64_MAX};
  std::atomic<int64_t> next_page{1}, fetched{0}, bad{0};
  std::mutex failure_mu;
  std::string failure;
  auto fail = [&](std::string why) {
    std::lock_guard lock(failure_mu);
    if (failure.empty()) failure = std::move(why);
    halt = true;
  };
  const auto start = clock_type::now();
  const auto deadline = o.duration.count() > 0 ? start + o.duration : clock_type::time_point::max();

  auto worker = [&] {
    name_this_thread("ingest");
    struct leaving {
      std::atomic<int>& n;
      ~leaving() { --n; }
    } done{running};
    fetcher f(o.fetch, limiter, stats, halt);
    // An answer is mapped once: the fetcher retries answers the mapping cannot read, and the
    // mapping of the one it accepts is kept.
    std::optional<mapping::output> mapped;
    size_t wanted = 0;
    const auto usable = [&](std::string_view body) -> result<void> {
      mapped = SLUICE_TRY(map.apply(body, o.records_path, wanted, /*padded=*/true));
      return {};
    };
    while (!halt) {
      // Claim up to a request's worth of the records still wanted.
      int64_t left = budget.load();
      int64_t n = 0;
      do {
        if (left <= 0) return;
        n = std::min<int64_t>(left, o.results_per_request);
      } while (!budget.compare_exchange_weak(left, left - n));
      wanted = static_cast<size_t>(n);
      mapped.reset();
      auto body = f.get(page_url(o, seed, next_page++, static_cast<int>(n)), usable);
      if (!body) {
        budget += n;
        if (!is(body.error(), fetch_errc::stopped)) fail(body.error().message);
        return;
      }
      auto& out = mapped;
      if (!out) {  // cannot happen: the fetcher returns only answers `usable` accepted
        budget += n;
        fail("an answer was returned unmapped");
        return;
      }
      fetched += static_cast<int64_t>(out->total);
      bad += static_cast<int64_t>(out->bad);
      if (out->records.empty() && n > 0) {
        budget += n;
        fail(out->total == 0 ? "the API answered with no records"
                             : fmt::format("no usable record in an answer; {}", out->first_error));
        return;
      }
      budget += n - static_cast<int64_t>(out->records.size());  // made up by later requests
      for (auto& record : out->records) {
        for (;;) {
          const rd_kafka_resp_err_t err =
              rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(o.topic.c_str()),
                                RD_KAFKA_V_VALUE(record.data(), record.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
          if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
          if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fail(fmt::format("producing to {}: {}", o.topic, rd_kafka_err2str(err)));
            return;
          }
          rd_kafka_poll(producer.get(), 50);  // a full queue: let deliveries drain it
        }
      }
      rd_kafka_poll(producer.get(), 0);
    }
  };

  std::vector<std::thread> workers;
  running = std::max(1, o.concurrency);
  for (int i = 0; i < std::max(1, o.concurrency); ++i) workers.emplace_back(worker);
  auto snapshot = [&] {
    job_progress p;
    p.fetched = fetched;
    p.produced = counts.produced;
    p.failed = counts.failed;
    p.bad = bad;
    p.requests = stats.requests;
    p.retries = stats.retries;
    p.timeouts = stats.timeouts;
    p.http_errors = stats.http_errors;
    p.unusable = stats.unusable;
    p.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return p;
  };
  auto last_report = clock_type::now();
  bool stopped = false;
  for (;;) {
    rd_kafka_poll(producer.get(), 100);
    if (stop && !halt) {
      stopped = true;
      halt = true;
    }
    if (clock_type::now() >= deadline) halt = true;
    if (progress && clock_type::now() - last_report >= std::chrono::seconds(1)) {
      progress(snapshot());
      last_report = clock_type::now();
    }
    if (running == 0) break;  // every record claimed and fetched, or a failure
  }
  for (auto& t : workers) t.join();
  // Everything fetched is delivered (or has failed) before the job ends.
  const rd_kafka_resp_err_t flushed = rd_kafka_flush(producer.get(), 60'000);
  job_result r;
  r.totals = snapshot();
  r.stopped = stopped;
  r.failure = failure;
  if (r.failure.empty() && flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
    r.failure = fmt::format("{} records were still undelivered after a minute of flushing",
                            rd_kafka_outq_len(producer.get()));
  }
  if (r.failure.empty() && r.totals.failed > 0) {
    std::lock_guard lock(counts.mu);
    r.failure = fmt::format("{} records were not acknowledged by the broker: {}", r.totals.failed,
                            counts.first_error);
  }
  // A count without a duration is a promise of exactly that many; with a duration, whichever
  // comes first ends the job.
  const bool ran_out_of_time = o.duration.count() > 0 && clock_type::now() >= deadline;
  if (r.failure.empty() && !stopped && !ran_out_of_time && o.count > 0 &&
      r.totals.produced != o.count) {
    r.failure = fmt::format("produced {} records of the {} asked for", r.totals.produced, o.count);
  }
  if (r.failure.empty() && !stopped && r.totals.produced == 0) {
    r.failure = "the job produced nothing";
  }
  return r;
}

}  // namespace sluice::ingest
