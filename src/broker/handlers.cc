#include "broker/handlers.h"

#include "base/log.h"
#include "kafka/codec.h"
#include "kafka/messages/api_versions.h"
#include "kafka/messages/metadata.h"

namespace sluice::broker {
namespace {

using namespace sluice::kafka;

// Decodes the request, runs `fn`, encodes its response at the same version.
template <class Req, class Resp, Resp (*Fn)(request_context&, Req&)>
result<void> adapt(request_context& ctx, bytes_view body, byte_writer& out) {
  Req req = SLUICE_TRY(decode<Req>(body, ctx.header.version));
  Resp resp = Fn(ctx, req);
  encode(out, ctx.header.version, resp);
  return {};
}

api_versions_response supported_apis() {
  api_versions_response r;
  for (const api_entry& e : api_table()) {
    r.apis.push_back({e.key, e.supported.min, e.supported.max});
  }
  return r;
}

api_versions_response handle_api_versions(request_context&, api_versions_request&) {
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

error_code to_kafka(const error& e) {
  if (is(e, errc::invalid_topic)) return error_code::invalid_topic_exception;
  if (is(e, errc::invalid_partitions)) return error_code::invalid_partitions;
  if (is(e, errc::topic_exists)) return error_code::topic_already_exists;
  if (is(e, errc::unknown_topic)) return error_code::unknown_topic_or_partition;
  return error_code::unknown_server_error;
}

metadata_response handle_metadata(request_context& ctx, metadata_request& req) {
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
      auto created = s.topics.create(requested.name, s.options.default_partitions);
      if (created) {
        t = *created;
        log::get("broker")->info("auto-created topic {} with {} partition(s)", t->name,
                                 t->partitions);
      } else {
        metadata_response::topic failed;
        failed.name = requested.name;
        failed.error = to_kafka(created.error());
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

// Advertised ranges start at 0: librdkafka enables features (message format v2, consumer groups,
// idempotence) only when the old versions are listed too.
constexpr api_entry table[] = {
    {api_key::metadata, between(0, 8), since(9),
     adapt<metadata_request, metadata_response, handle_metadata>},
    {api_key::api_versions, between(0, 3), since(3),
     adapt<api_versions_request, api_versions_response, handle_api_versions>},
};

}  // namespace

std::span<const api_entry> api_table() { return table; }

const api_entry* find_api(kafka::api_key key) {
  for (const api_entry& e : table) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

bool handle_request(broker_state& state, bytes_view frame, byte_writer& out,
                    std::string_view peer) {
  auto lg = log::get("broker");
  byte_reader r(frame);
  auto prefix = kafka::read_request_prefix(r);
  if (!prefix) {
    lg->warn("closing {}: unreadable request header: {}", peer, prefix.error().message);
    return false;
  }
  kafka::request_header& h = *prefix;
  const api_entry* api = find_api(h.key);
  if (api == nullptr) {
    lg->warn("closing {}: unknown API key {}", peer, static_cast<int>(h.key));
    return false;
  }
  out.write_i32(0);  // size, patched below
  if (!api->supported.contains(h.version)) {
    if (h.key == kafka::api_key::api_versions && h.version > api->supported.max) {
      // KIP-511: the client sent a newer ApiVersions than we know; tell it what we support.
      kafka::write_response_header(out, h.correlation_id, false);
      write_unsupported_api_versions(out);
      (void)out.patch_i32(0, static_cast<int32_t>(out.size() - 4));
      return true;
    }
    lg->warn("closing {}: {} v{} is not supported (versions {}-{})", peer, kafka::name(h.key),
             h.version, api->supported.min, api->supported.max);
    return false;
  }
  const bool flexible = api->flexible.contains(h.version);
  if (auto rest = kafka::read_request_rest(r, flexible, h); !rest) {
    lg->warn("closing {}: unreadable {} request header: {}", peer, kafka::name(h.key),
             rest.error().message);
    return false;
  }
  // ApiVersions responses always use header v0, so that any client can read them.
  kafka::write_response_header(out, h.correlation_id,
                               flexible && h.key != kafka::api_key::api_versions);
  request_context ctx{h, state};
  const bytes_view body = frame.subspan(r.position());
  if (auto handled = api->handle(ctx, body, out); !handled) {
    lg->warn("closing {}: {} v{}: {}", peer, kafka::name(h.key), h.version,
             handled.error().message);
    return false;
  }
  (void)out.patch_i32(0, static_cast<int32_t>(out.size() - 4));
  return true;
}

void write_unsupported_api_versions(byte_writer& out) {
  api_versions_response r = supported_apis();
  r.error = error_code::unsupported_version;
  encode(out, 0, r);
}

}  // namespace sluice::broker
