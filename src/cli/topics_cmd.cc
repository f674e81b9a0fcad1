// `sluice topics list|create|delete|describe`: topic administration through librdkafka's admin
// API, so it works the same against sluice's broker and any Kafka-compatible cluster.
#include <librdkafka/rdkafka.h>

#include <memory>

#include <fmt/core.h>

#include "cli/commands.h"

namespace sluice::cli {
namespace {

constexpr int timeout_ms = 15000;

struct kafka_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using kafka_handle = std::unique_ptr<rd_kafka_t, kafka_deleter>;

std::string bootstrap_of(const config::config& c, const std::string& flag) {
  if (!flag.empty()) return flag;
  if (c.embedded_broker()) return c.broker_advertised().to_string();
  std::string out;
  for (const auto& h : c.kafka.bootstrap) out += (out.empty() ? "" : ",") + h.to_string();
  return out;
}

result<kafka_handle> connect(const std::string& bootstrap) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK ||
      // Looking at a topic must not create it.
      rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", err, sizeof err) !=
          RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return make_error(sluice::errc::invalid_argument, err);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) return make_error(sluice::errc::invalid_argument, err);
  return kafka_handle(rk);
}

// Runs an admin call and waits for its result event.
rd_kafka_event_t* wait_for(rd_kafka_queue_t* q) {
  return rd_kafka_queue_poll(q, timeout_ms + 5000);
}

int fail(const std::string& what) {
  fmt::print(stderr, "sluice topics: {}\n", what);
  return exit_failure;
}

int list(rd_kafka_t* rk) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, nullptr, &md, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(rd_kafka_err2str(e));
  for (int i = 0; i < md->topic_cnt; ++i) {
    fmt::print("{}\t{} partition(s)\n", md->topics[i].topic, md->topics[i].partition_cnt);
  }
  rd_kafka_metadata_destroy(md);
  return exit_ok;
}

// Waits for a CreateTopics/DeleteTopics result on `q` and prints each topic's outcome.
int report_topic_results(rd_kafka_queue_t* q, const char* done_verb,
                         const rd_kafka_topic_result_t** (*results)(rd_kafka_event_t*, size_t*)) {
  rd_kafka_event_t* ev = wait_for(q);
  int code = exit_ok;
  if (ev == nullptr) {
    code = fail("no answer from the broker");
  } else if (rd_kafka_event_error(ev)) {
    code = fail(rd_kafka_event_error_string(ev));
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** res = results(ev, &n);
    for (size_t i = 0; i < n; ++i) {
      if (rd_kafka_topic_result_error(res[i])) {
        code = fail(fmt::format("{}: {}", rd_kafka_topic_result_name(res[i]),
                                rd_kafka_topic_result_error_string(res[i])));
      } else {
        fmt::print("{} {}\n", done_verb, rd_kafka_topic_result_name(res[i]));
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  return code;
}

int create(rd_kafka_t* rk, const topics_options& o) {
  char err[512];
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(o.topic.c_str(), static_cast<int>(o.partitions),
                            static_cast<int>(o.replication_factor), err, sizeof err);
  if (nt == nullptr) return fail(err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  const int code = report_topic_results(q, "created", [](rd_kafka_event_t* ev, size_t* n) {
    return rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), n);
  });
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  return code;
}

int remove(rd_kafka_t* rk, const topics_options& o) {
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(o.topic.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteTopics(rk, &dt, 1, nullptr, q);
  const int code = report_topic_results(q, "deleted", [](rd_kafka_event_t* ev, size_t* n) {
    return rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), n);
  });
  rd_kafka_queue_destroy(q);
  rd_kafka_DeleteTopic_destroy(dt);
  return code;
}

int describe(rd_kafka_t* rk, const topics_options& o) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(rd_kafka_err2str(e));
  const rd_kafka_metadata_topic_t& mt = md->topics[0];
  if (mt.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(md);
    return fail(fmt::format("{}: {}", o.topic, rd_kafka_err2str(mt.err)));
  }
  fmt::print("topic {}: {} partition(s)\n", mt.topic, mt.partition_cnt);
  fmt::print("partition\tleader\treplicas\tisr\tstart\tend\n");
  for (int i = 0; i < mt.partition_cnt; ++i) {
    const rd_kafka_metadata_partition_t& p = mt.partitions[i];
    int64_t lo = -1, hi = -1;
    rd_kafka_query_watermark_offsets(rk, mt.topic, p.id, &lo, &hi, timeout_ms);
    fmt::print("{}\t{}\t{}\t{}\t{}\t{}\n", p.id, p.leader, p.replica_cnt, p.isr_cnt, lo, hi);
  }
  rd_kafka_metadata_destroy(md);

  // Configs through DescribeConfigs.
  rd_kafka_ConfigResource_t* res =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, o.topic.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_DescribeConfigs(rk, &res, 1, nullptr, q);
  rd_kafka_event_t* ev = wait_for(q);
  int code = exit_ok;
  if (ev == nullptr || rd_kafka_event_error(ev)) {
    code = fail(ev ? rd_kafka_event_error_string(ev) : "no answer to DescribeConfigs");
  } else {
    size_t n = 0;
    const rd_kafka_ConfigResource_t** rs =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    fmt::print("config\tvalue\n");
    for (size_t i = 0; i < n; ++i) {
      size_t cnt = 0;
      const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[i], &cnt);
      for (size_t j = 0; j < cnt; ++j) {
        const char* v = rd_kafka_ConfigEntry_value(entries[j]);
        fmt::print("{}\t{}\n", rd_kafka_ConfigEntry_name(entries[j]), v ? v : "");
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_ConfigResource_destroy(res);
  return code;
}

}  // namespace

int run_topics(const global_options& g, const topics_options& o) {
  auto c = load_config(g);
  if (!c) return c.error();
  const std::string bootstrap = bootstrap_of(*c, o.bootstrap);
  auto rk = connect(bootstrap);
  if (!rk) return fail(rk.error().message);
  switch (o.action) {
    case topics_options::list: return list(rk->get());
    case topics_options::create: return create(rk->get(), o);
    case topics_options::remove: return remove(rk->get(), o);
    case topics_options::describe: return describe(rk->get(), o);
  }
  return exit_failure;
}

}  // namespace sluice::cli
