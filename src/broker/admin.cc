// CreateTopics, DeleteTopics and DescribeConfigs: what admin tools (librdkafka's admin API, kcat,
// kafka-topics) use to manage topics.
#include <fmt/format.h>

#include "base/log.h"
#include "broker/api_handlers.h"
#include "kafka/messages/admin.h"

namespace sluice::broker {
namespace {

using namespace sluice::kafka;

create_topics_response::result create_one(request_context& ctx,
                                          const create_topics_request::topic& t,
                                          bool validate_only) {
  create_topics_response::result r;
  r.name = t.name;
  auto fail = [&](error_code code, std::string message) {
    r.error = code;
    r.message = std::move(message);
    return r;
  };
  if (t.replication_factor > 1 || t.replication_factor == 0 || t.replication_factor < -1) {
    return fail(error_code::invalid_replication_factor,
                fmt::format("replication factor {} on a single-node broker (use 1 or -1)",
                            t.replication_factor));
  }
  if (!t.configs.empty()) {
    return fail(error_code::invalid_config,
                fmt::format("per-topic configs ({} ...) are not supported; the broker's log "
                            "settings apply to every topic",
                            t.configs.front().name));
  }
  int32_t partitions = t.num_partitions == -1
                           ? static_cast<int32_t>(ctx.state.options.default_partitions)
                           : t.num_partitions;
  if (!t.assignments.empty()) partitions = static_cast<int32_t>(t.assignments.size());
  if (auto valid = validate_topic_name(t.name); !valid) {
    return fail(error_code::invalid_topic_exception, valid.error().message);
  }
  if (ctx.state.topics.find(t.name) != nullptr) {
    return fail(error_code::topic_already_exists, fmt::format("topic '{}' already exists", t.name));
  }
  if (partitions < 1 || partitions > 10'000) {
    return fail(error_code::invalid_partitions,
                fmt::format("{} partitions: a topic has 1 to 10000", partitions));
  }
  if (validate_only) return r;
  if (auto created = create_topic(ctx.state, t.name, partitions); !created) {
    return fail(to_kafka_error(created.error()), created.error().message);
  }
  log::get("broker")->info("created topic {} with {} partition(s)", t.name, partitions);
  return r;
}

create_topics_response create_topics(request_context& ctx, create_topics_request& req) {
  create_topics_response resp;
  for (const auto& t : req.topics) resp.topics.push_back(create_one(ctx, t, req.validate_only));
  return resp;
}

delete_topics_response delete_topics(request_context& ctx, delete_topics_request& req) {
  delete_topics_response resp;
  for (const auto& name : req.topic_names) {
    delete_topics_response::result r;
    r.name = name;
    const topic_info* t = ctx.state.topics.find(name);
    if (t == nullptr) {
      r.error = error_code::unknown_topic_or_partition;
    } else {
      const int32_t partitions = t->partitions;
      if (auto removed = ctx.state.topics.remove(name); !removed) {
        r.error = to_kafka_error(removed.error());
      } else if (auto gone = ctx.state.logs.remove(name, partitions); !gone) {
        log::get("broker")->error("topic {} deleted, but its logs remain: {}", name,
                                  gone.error().message);
      } else {
        log::get("broker")->info("deleted topic {}", name);
      }
    }
    resp.responses.push_back(std::move(r));
  }
  return resp;
}

// The settings in force, named as Kafka names them, so that tools show familiar keys.
std::vector<describe_configs_response::config> topic_configs(const broker_state& s) {
  const storage::log_options& l = s.options.log;
  auto entry = [](std::string name, std::string value) {
    describe_configs_response::config c;
    c.name = std::move(name);
    c.value = std::move(value);
    return c;
  };
  return {entry("cleanup.policy", "delete"),
          entry("retention.ms", std::to_string(l.retention_age.count())),
          entry("retention.bytes", std::to_string(l.retention_bytes)),
          entry("segment.bytes", std::to_string(l.segment_bytes)),
          entry("segment.ms", std::to_string(l.segment_age.count())),
          entry("segment.index.bytes", std::to_string(l.index_interval_bytes)),
          entry("max.message.bytes", std::to_string(s.options.max_request_bytes)),
          entry("message.timestamp.type", "CreateTime"),
          entry("compression.type", "producer")};
}

describe_configs_response describe_configs(request_context& ctx, describe_configs_request& req) {
  describe_configs_response resp;
  for (const auto& res : req.resources) {
    describe_configs_response::result r;
    r.type = res.type;
    r.name = res.name;
    if (res.type == resource_topic && ctx.state.topics.find(res.name) == nullptr) {
      r.error = error_code::unknown_topic_or_partition;
      r.message = fmt::format("topic '{}' does not exist", res.name);
    } else if (res.type != resource_topic && res.type != resource_broker) {
      r.error = error_code::invalid_request;
      r.message = fmt::format("resource type {} is not described", res.type);
    } else {
      for (auto& c : topic_configs(ctx.state)) {
        if (res.type == resource_broker) c.name = "log." + c.name;
        const bool wanted =
            !res.keys || std::find(res.keys->begin(), res.keys->end(), c.name) != res.keys->end();
        if (wanted) r.configs.push_back(std::move(c));
      }
    }
    resp.results.push_back(std::move(r));
  }
  return resp;
}

}  // namespace

result<outcome> handle_create_topics(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<create_topics_request, create_topics_response, create_topics>(ctx, body, out);
}
result<outcome> handle_delete_topics(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<delete_topics_request, delete_topics_response, delete_topics>(ctx, body, out);
}
result<outcome> handle_describe_configs(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<describe_configs_request, describe_configs_response, describe_configs>(ctx, body,
                                                                                      out);
}

}  // namespace sluice::broker
