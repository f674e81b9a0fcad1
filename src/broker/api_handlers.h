// The handlers behind the API table, one file per API group. Internal to the broker module.
#pragma once

#include "broker/handlers.h"
#include "kafka/codec.h"
#include "kafka/messages/api_versions.h"

namespace sluice::broker {

// Decodes the request at the header's version, runs `Fn`, encodes its response.
template <class Req, class Resp, Resp (*Fn)(request_context&, Req&)>
result<outcome> adapt(request_context& ctx, bytes_view body, byte_writer& out) {
  Req req = SLUICE_TRY(kafka::decode<Req>(body, ctx.header.version));
  Resp resp = Fn(ctx, req);
  kafka::encode(out, ctx.header.version, resp);
  return outcome::respond;
}

result<outcome> handle_api_versions(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_metadata(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_produce(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_init_producer_id(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_create_topics(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_delete_topics(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_describe_configs(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_fetch(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_list_offsets(request_context& ctx, bytes_view body, byte_writer& out);
// groups.cc
result<outcome> handle_find_coordinator(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_join_group(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_sync_group(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_heartbeat(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_leave_group(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_describe_groups(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_list_groups(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_delete_groups(request_context& ctx, bytes_view body, byte_writer& out);
// offsets.cc
result<outcome> handle_offset_commit(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_offset_fetch(request_context& ctx, bytes_view body, byte_writer& out);
result<outcome> handle_offset_delete(request_context& ctx, bytes_view body, byte_writer& out);

// The coordinator's notion of now: the monotonic clock for timeouts, the wall clock for records.
groups::instant group_clock();

kafka::api_versions_response supported_apis();

// The one place where sluice's errors become Kafka error codes.
kafka::error_code to_kafka_error(const error& e);

}  // namespace sluice::broker
