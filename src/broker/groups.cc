// Group membership APIs: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
// DescribeGroups, ListGroups, DeleteGroups. The rules live in groups::coordinator; this file
// translates requests and responses.
#include <algorithm>

#include "base/clock.h"
#include "broker/api_handlers.h"
#include "kafka/messages/groups.h"

namespace sluice::broker {

using namespace sluice::kafka;

groups::instant group_clock() {
  const auto steady = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
  return {steady.count(), wall_clock_ms()};
}

namespace {

std::vector<uint8_t> copy(bytes_view b) { return {b.begin(), b.end()}; }

// Kafka shows a member's host as "/address".
std::string client_host(std::string_view peer) {
  const auto colon = peer.rfind(':');
  return "/" + std::string(peer.substr(0, colon));
}

// The answer now when the coordinator gave it at once, else later.
outcome answer(request_context& ctx, std::shared_ptr<deferred_response> d, byte_writer& out) {
  if (d->ready) {
    out.write_bytes(d->body.view());
    return outcome::respond;
  }
  ctx.deferred = std::move(d);
  return outcome::deferred;
}

find_coordinator_response find_coordinator(request_context& ctx, find_coordinator_request& req) {
  find_coordinator_response r;
  if (req.key_type != 0) {
    r.error = error_code::coordinator_not_available;
    r.error_message = "sluice does not serve transactions";
  } else if (req.key.empty()) {
    r.error = error_code::invalid_request;
    r.error_message = "empty group id";
  } else {
    r.node_id = ctx.state.options.node_id;
    r.host = ctx.state.advertised.host;
    r.port = ctx.state.advertised.port;
  }
  return r;
}

heartbeat_response heartbeat(request_context& ctx, heartbeat_request& req) {
  heartbeat_response r;
  r.error = ctx.state.groups->heartbeat(req.group_id, req.generation_id, req.member_id,
                                        req.group_instance_id, group_clock());
  return r;
}

leave_group_response leave_group(request_context& ctx, leave_group_request& req) {
  leave_group_response r;
  const auto now = group_clock();
  if (ctx.header.version < 3) {
    r.error = ctx.state.groups->leave(req.group_id, req.member_id, std::nullopt, now);
    return r;
  }
  for (const auto& m : req.members) {
    r.members.push_back(
        {m.member_id, m.group_instance_id,
         ctx.state.groups->leave(req.group_id, m.member_id, m.group_instance_id, now)});
  }
  return r;
}

describe_groups_response describe_groups(request_context& ctx, describe_groups_request& req) {
  describe_groups_response r;
  for (const auto& id : req.groups) {
    auto& out = r.groups.emplace_back();
    out.group_id = id;
    if (id.empty()) {
      out.error = error_code::invalid_group_id;
      continue;
    }
    const groups::group* g = ctx.state.groups->find(id);
    if (g == nullptr) {
      // Known only by committed offsets, or not at all (Kafka answers Dead).
      out.state = ctx.state.groups->offsets(id) ? "Empty" : "Dead";
      continue;
    }
    out.state = std::string(groups::state_name(g->state()));
    out.protocol_type = g->protocol_type();
    const bool stable = g->state() == groups::group_state::stable;
    if (stable || g->state() == groups::group_state::completing_rebalance) {
      out.protocol_data = g->protocol();
    }
    for (const auto& [mid, m] : g->members()) {
      auto& dm = out.members.emplace_back();
      dm.member_id = mid;
      dm.group_instance_id = m.instance_id;
      dm.client_id = m.client_id;
      dm.client_host = m.client_host;
      if (stable) {
        if (const auto* md = m.metadata_for(g->protocol())) dm.metadata = *md;
        dm.assignment = m.assignment;
      }
    }
  }
  return r;
}

list_groups_response list_groups(request_context& ctx, list_groups_request& req) {
  auto lower = [](std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  std::vector<std::string> wanted;
  for (const auto& s : req.states_filter) wanted.push_back(lower(s));
  list_groups_response r;
  for (const auto& g : ctx.state.groups->list()) {
    std::string state(groups::state_name(g.state));
    if (!wanted.empty() && std::ranges::find(wanted, lower(state)) == wanted.end()) continue;
    r.groups.push_back({g.id, g.protocol_type, std::move(state)});
  }
  return r;
}

delete_groups_response delete_groups(request_context& ctx, delete_groups_request& req) {
  delete_groups_response r;
  for (const auto& id : req.groups) {
    r.results.push_back(
        {id, id.empty() ? error_code::invalid_group_id : ctx.state.groups->delete_group(id)});
  }
  return r;
}

}  // namespace

result<outcome> handle_find_coordinator(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<find_coordinator_request, find_coordinator_response, find_coordinator>(ctx, body,
                                                                                      out);
}

result<outcome> handle_heartbeat(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<heartbeat_request, heartbeat_response, heartbeat>(ctx, body, out);
}

result<outcome> handle_leave_group(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<leave_group_request, leave_group_response, leave_group>(ctx, body, out);
}

result<outcome> handle_describe_groups(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<describe_groups_request, describe_groups_response, describe_groups>(ctx, body, out);
}

result<outcome> handle_list_groups(request_context& ctx, bytes_view body, byte_writer& out) {
  // librdkafka 2.0.2 ends flexible ListGroups requests with a second, empty tag section; Kafka
  // ignores the extra byte, and so does sluice, for this request only.
  auto req =
      SLUICE_TRY(decode_ignoring_trailing_bytes<list_groups_request>(body, ctx.header.version));
  encode(out, ctx.header.version, list_groups(ctx, req));
  return outcome::respond;
}

result<outcome> handle_delete_groups(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<delete_groups_request, delete_groups_response, delete_groups>(ctx, body, out);
}

result<outcome> handle_join_group(request_context& ctx, bytes_view body, byte_writer& out) {
  const int16_t version = ctx.header.version;
  auto req = SLUICE_TRY(decode<join_group_request>(body, version));
  groups::join_request j;
  j.group_id = std::move(req.group_id);
  j.member_id = std::move(req.member_id);
  j.instance_id = std::move(req.group_instance_id);
  j.client_id = std::string(ctx.header.client_id.value_or(""));
  j.client_host = client_host(ctx.peer);
  j.session_timeout_ms = req.session_timeout_ms;
  // v0 has no rebalance timeout: the session timeout bounds the join phase, as in Kafka.
  j.rebalance_timeout_ms = version == 0 ? req.session_timeout_ms : req.rebalance_timeout_ms;
  j.protocol_type = std::move(req.protocol_type);
  for (auto& p : req.protocols) j.protocols.push_back({std::move(p.name), copy(p.metadata)});
  j.require_known_member_id = version >= 4;

  auto d = std::make_shared<deferred_response>();
  ctx.state.groups->join(std::move(j), group_clock(), [d, version](groups::join_result r) {
    join_group_response resp;
    resp.error = r.error;
    resp.generation_id = r.generation;
    resp.protocol_name = std::move(r.protocol_name);
    resp.leader = std::move(r.leader);
    resp.member_id = std::move(r.member_id);
    for (const auto& m : r.members) resp.members.push_back({m.id, m.instance_id, m.metadata});
    encode(d->body, version, resp);
    d->complete();
  });
  return answer(ctx, std::move(d), out);
}

result<outcome> handle_sync_group(request_context& ctx, bytes_view body, byte_writer& out) {
  const int16_t version = ctx.header.version;
  auto req = SLUICE_TRY(decode<sync_group_request>(body, version));
  groups::sync_request s;
  s.group_id = std::move(req.group_id);
  s.generation = req.generation_id;
  s.member_id = std::move(req.member_id);
  s.instance_id = std::move(req.group_instance_id);
  for (auto& a : req.assignments)
    s.assignments.emplace_back(std::move(a.member_id), copy(a.assignment));

  auto d = std::make_shared<deferred_response>();
  ctx.state.groups->sync(std::move(s), group_clock(), [d, version](groups::sync_result r) {
    sync_group_response resp;
    resp.error = r.error;
    resp.assignment = r.assignment;
    encode(d->body, version, resp);
    d->complete();
  });
  return answer(ctx, std::move(d), out);
}

}  // namespace sluice::broker
