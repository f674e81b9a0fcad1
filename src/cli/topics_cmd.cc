// `sluice topics list|create|delete|describe`: topic administration through librdkafka's admin
// API, so it works the same against sluice's broker and any Kafka-compatible cluster.
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/kafka_admin.h"

namespace sluice::cli {
namespace {

using kafka::timeout_ms;

int fail(const std::string& what) {
  fmt::print(stderr, "sluice topics: {}\n", what);
  return exit_failure;
}

int list(const kafka::client& c) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(c.get(), 1, nullptr, &md, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(c.explain(e));
  for (int i = 0; i < md->topic_cnt; ++i) {
    fmt::print("{}\t{} partition(s)\n", md->topics[i].topic, md->topics[i].partition_cnt);
  }
  rd_kafka_metadata_destroy(md);
  return exit_ok;
}

// Waits for a CreateTopics/DeleteTopics result on `q` and prints each topic's outcome.
int report_topic_results(const kafka::client& c, rd_kafka_queue_t* q, const char* done_verb,
                         const rd_kafka_topic_result_t** (*results)(rd_kafka_event_t*, size_t*)) {
  auto ev = c.wait(q);
  if (!ev) return fail(ev.error().message);
  int code = exit_ok;
  size_t n = 0;
  const rd_kafka_topic_result_t** res = results(ev->get(), &n);
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_topic_result_error(res[i])) {
      code = fail(fmt::format("{}: {}", rd_kafka_topic_result_name(res[i]),
                              rd_kafka_topic_result_error_string(res[i])));
    } else {
      fmt::print("{} {}\n", done_verb, rd_kafka_topic_result_name(res[i]));
    }
  }
  return code;
}

int create(const kafka::client& c, const topics_options& o) {
  char err[512];
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(o.topic.c_str(), static_cast<int>(o.partitions),
                            static_cast<int>(o.replication_factor), err, sizeof err);
  if (nt == nullptr) return fail(err);
  kafka::queue q(rd_kafka_queue_new(c.get()));
  rd_kafka_CreateTopics(c.get(), &nt, 1, c.options(RD_KAFKA_ADMIN_OP_CREATETOPICS).get(), q.get());
  const int code = report_topic_results(c, q.get(), "created", [](rd_kafka_event_t* ev, size_t* n) {
    return rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), n);
  });
  rd_kafka_NewTopic_destroy(nt);
  return code;
}

int remove(const kafka::client& c, const topics_options& o) {
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(o.topic.c_str());
  kafka::queue q(rd_kafka_queue_new(c.get()));
  rd_kafka_DeleteTopics(c.get(), &dt, 1, c.options(RD_KAFKA_ADMIN_OP_DELETETOPICS).get(), q.get());
  const int code = report_topic_results(c, q.get(), "deleted", [](rd_kafka_event_t* ev, size_t* n) {
    return rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), n);
  });
  rd_kafka_DeleteTopic_destroy(dt);
  return code;
}

int describe(const kafka::client& c, const topics_options& o) {
  rd_kafka_t* rk = c.get();
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(c.explain(e));
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
  kafka::queue q(rd_kafka_queue_new(rk));
  rd_kafka_DescribeConfigs(rk, &res, 1, c.options(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS).get(),
                           q.get());
  auto ev = c.wait(q.get());
  int code = exit_ok;
  if (!ev) {
    code = fail(ev.error().message);
  } else {
    size_t n = 0;
    const rd_kafka_ConfigResource_t** rs = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(ev->get()), &n);
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
  rd_kafka_ConfigResource_destroy(res);
  return code;
}

}  // namespace

int run_topics(const global_options& g, const topics_options& o) {
  auto cfg = load_config(g);
  if (!cfg) return cfg.error();
  auto c = kafka::connect(kafka::bootstrap_of(*cfg, o.bootstrap));
  if (!c) return fail(c.error().message);
  switch (o.action) {
    case topics_options::list: return list(*c);
    case topics_options::create: return create(*c, o);
    case topics_options::remove: return remove(*c, o);
    case topics_options::describe: return describe(*c, o);
  }
  return exit_failure;
}

}  // namespace sluice::cli
