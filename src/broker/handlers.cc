#include "broker/handlers.h"

#include "base/log.h"
#include "broker/api_handlers.h"
#include "kafka/codec.h"
#include "kafka/messages/api_versions.h"
#include "storage/segment.h"

namespace sluice::broker {

using namespace sluice::kafka;

kafka::api_versions_response supported_apis() {
  api_versions_response r;
  for (const api_entry& e : api_table()) {
    r.apis.push_back({e.key, e.supported.min, e.supported.max});
  }
  return r;
}

kafka::error_code to_kafka_error(const error& e) {
  if (is(e, errc::invalid_topic)) return error_code::invalid_topic_exception;
  if (is(e, errc::invalid_partitions)) return error_code::invalid_partitions;
  if (is(e, errc::topic_exists)) return error_code::topic_already_exists;
  if (is(e, errc::unknown_topic)) return error_code::unknown_topic_or_partition;
  if (is(e, storage::errc::offset_out_of_range)) return error_code::offset_out_of_range;
  if (is(e, storage::errc::invalid_batch)) return error_code::corrupt_message;
  return error_code::unknown_server_error;
}

result<const topic_info*> create_topic(broker_state& state, std::string name, int32_t partitions) {
  const topic_info* t = SLUICE_TRY(state.topics.create(std::move(name), partitions));
  if (auto logs = state.logs.create(*t); !logs) {
    log::get("broker")->error("topic {}: cannot create its logs: {}", t->name,
                              logs.error().message);
    // Undo, so that no topic is advertised without its partitions.
    const std::string topic = t->name;
    const int32_t count = t->partitions;
    (void)state.logs.remove(topic, count);
    (void)state.topics.remove(topic);
    return std::unexpected(std::move(logs).error());
  }
  return t;
}

namespace {

// Advertised ranges start at 0: librdkafka enables features (message format v2, consumer groups,
// idempotence) only when the old versions are listed too; zstd needs Produce 7 and Fetch 10.
constexpr api_entry table[] = {
    {api_key::produce, between(0, 8), since(9), handle_produce},
    {api_key::fetch, between(0, 11), since(12), handle_fetch},
    {api_key::list_offsets, between(0, 5), since(6), handle_list_offsets},
    {api_key::metadata, between(0, 8), since(9), handle_metadata},
    {api_key::api_versions, between(0, 3), since(3), handle_api_versions},
    {api_key::create_topics, between(0, 4), since(5), handle_create_topics},
    {api_key::delete_topics, between(0, 3), since(4), handle_delete_topics},
    {api_key::init_producer_id, between(0, 4), since(2), handle_init_producer_id},
    {api_key::describe_configs, between(0, 3), since(4), handle_describe_configs},
    // Consumer groups: librdkafka turns them on only when FindCoordinator 0, JoinGroup 0,
    // SyncGroup 0, Heartbeat 0, LeaveGroup 0, OffsetCommit 1-2 and OffsetFetch 1 are listed.
    {api_key::find_coordinator, between(0, 2), since(3), handle_find_coordinator},
    {api_key::join_group, between(0, 5), since(6), handle_join_group},
    {api_key::sync_group, between(0, 3), since(4), handle_sync_group},
    {api_key::heartbeat, between(0, 3), since(4), handle_heartbeat},
    {api_key::leave_group, between(0, 3), since(4), handle_leave_group},
    {api_key::offset_commit, between(0, 7), since(8), handle_offset_commit},
    {api_key::offset_fetch, between(0, 5), since(6), handle_offset_fetch},
    {api_key::describe_groups, between(0, 5), since(5), handle_describe_groups},
    {api_key::list_groups, between(0, 4), since(3), handle_list_groups},
    {api_key::delete_groups, between(0, 2), since(2), handle_delete_groups},
    {api_key::offset_delete, between(0, 0), never, handle_offset_delete},
};

}  // namespace

std::span<const api_entry> api_table() { return table; }

const api_entry* find_api(kafka::api_key key) {
  for (const api_entry& e : table) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

handled handle_request(broker_state& state, std::span<uint8_t> frame, byte_writer& out,
                       std::string_view peer, bool final_attempt) {
  auto lg = log::get("broker");
  const handled close{handled::close};
  byte_reader r(frame);
  auto prefix = kafka::read_request_prefix(r);
  if (!prefix) {
    lg->warn("closing {}: unreadable request header: {}", peer, prefix.error().message);
    return close;
  }
  kafka::request_header& h = *prefix;
  const api_entry* api = find_api(h.key);
  if (api == nullptr) {
    lg->warn("closing {}: unknown API key {}", peer, static_cast<int>(h.key));
    return close;
  }
  out.write_i32(0);  // size, patched below
  if (!api->supported.contains(h.version)) {
    if (h.key == kafka::api_key::api_versions && h.version > api->supported.max) {
      // KIP-511: the client sent a newer ApiVersions than we know; tell it what we support.
      kafka::write_response_header(out, h.correlation_id, false);
      write_unsupported_api_versions(out);
      (void)out.patch_i32(0, static_cast<int32_t>(out.size() - 4));
      return {};
    }
    lg->warn("closing {}: {} v{} is not supported (versions {}-{})", peer, kafka::name(h.key),
             h.version, api->supported.min, api->supported.max);
    return close;
  }
  const bool flexible = api->flexible.contains(h.version);
  if (auto rest = kafka::read_request_rest(r, flexible, h); !rest) {
    lg->warn("closing {}: unreadable {} request header: {}", peer, kafka::name(h.key),
             rest.error().message);
    return close;
  }
  // ApiVersions responses always use header v0, so that any client can read them.
  kafka::write_response_header(out, h.correlation_id,
                               flexible && h.key != kafka::api_key::api_versions);
  request_context ctx{h, state, frame, final_attempt};
  ctx.peer = peer;
  const bytes_view body = bytes_view(frame).subspan(r.position());
  auto result = api->handle(ctx, body, out);
  if (!result) {
    lg->warn("closing {}: {} v{}: {}", peer, kafka::name(h.key), h.version, result.error().message);
    return close;
  }
  switch (*result) {
    case outcome::no_response: return {handled::silent};
    case outcome::wait: return {handled::wait, ctx.wait, std::move(ctx.waiting_on)};
    case outcome::deferred: {
      ctx.deferred->head.assign(out.view().begin(), out.view().end());
      handled later{handled::deferred};
      later.later = std::move(ctx.deferred);
      return later;
    }
    case outcome::respond: break;
  }
  (void)out.patch_i32(0, static_cast<int32_t>(out.size() - 4));
  return {};
}

std::vector<uint8_t> deferred_response::frame() const {
  std::vector<uint8_t> f;
  f.reserve(head.size() + body.size());
  f.insert(f.end(), head.begin(), head.end());
  f.insert(f.end(), body.view().begin(), body.view().end());
  const auto size = static_cast<uint32_t>(f.size() - 4);
  for (int i = 0; i < 4; ++i)
    f[static_cast<size_t>(i)] = static_cast<uint8_t>(size >> (24 - 8 * i));
  return f;
}

void write_unsupported_api_versions(byte_writer& out) {
  api_versions_response r = supported_apis();
  r.error = error_code::unsupported_version;
  encode(out, 0, r);
}

}  // namespace sluice::broker
