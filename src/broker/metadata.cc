// ApiVersions and Metadata.
#include "kafka/messages/metadata.h"
#include "base/log.h"
#include "broker/api_handlers.h"

namespace sluice::broker {
namespace {

using namespace sluice::kafka;

api_versions_response api_versions(request_context&, api_versions_request&) {
  return supported_apis();
}

metadata_response::topic describe_topic(const broker_state& s, const topic_info& t) {
  metadata_response::topic out;
  out.name = t.name;
  out.partitions.reserve(static_cast<size_t>(t.partitions));
  for (int32_t p = 0; p < t.partitions; ++p) {
    metadata_response::partition mp;
    mp.index = p;
    mp.leader_id = s.options.node_id;
    mp.leader_epoch = 0;
    mp.replica_nodes = {s.options.node_id};
    mp.isr_nodes = {s.options.node_id};
    out.partitions.push_back(std::move(mp));
  }
  return out;
}

metadata_response metadata(request_context& ctx, metadata_request& req) {
  broker_state& s = ctx.state;
  metadata_response resp;
  resp.brokers = {{s.options.node_id, s.advertised.host, s.advertised.port, std::nullopt}};
  resp.cluster_id = s.cluster_id;
  resp.controller_id = s.options.node_id;

  // v0: an empty list means every topic; v1+: null means every topic.
  const bool all = !req.topics || (ctx.header.version == 0 && req.topics->empty());
  if (all) {
    for (const topic_info* t : s.topics.all()) resp.topics.push_back(describe_topic(s, *t));
    return resp;
  }
  const bool may_create = s.options.auto_create_topics && req.allow_auto_topic_creation;
  for (const auto& requested : *req.topics) {
    const topic_info* t = s.topics.find(requested.name);
    if (t == nullptr && may_create) {
      auto created = create_topic(s, requested.name, s.options.default_partitions);
      if (created) {
        t = *created;
        log::get("broker")->info("auto-created topic {} with {} partition(s)", t->name,
                                 t->partitions);
      } else {
        metadata_response::topic failed;
        failed.name = requested.name;
        failed.error = to_kafka_error(created.error());
        resp.topics.push_back(std::move(failed));
        continue;
      }
    }
    if (t == nullptr) {
      metadata_response::topic missing;
      missing.name = requested.name;
      missing.error = error_code::unknown_topic_or_partition;
      resp.topics.push_back(std::move(missing));
      continue;
    }
    resp.topics.push_back(describe_topic(s, *t));
  }
  return resp;
}

}  // namespace

result<outcome> handle_api_versions(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<api_versions_request, api_versions_response, api_versions>(ctx, body, out);
}

result<outcome> handle_metadata(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<metadata_request, metadata_response, metadata>(ctx, body, out);
}

}  // namespace sluice::broker
