// Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete, served from groups::coordinator.
#include <map>

#include "base/log.h"
#include "broker/api_handlers.h"
#include "kafka/messages/offsets.h"

namespace sluice::broker {

using namespace sluice::kafka;

namespace {

bool partition_exists(const broker_state& state, std::string_view topic, int32_t partition) {
  const topic_info* t = state.topics.find(topic);
  return t != nullptr && partition >= 0 && partition < t->partitions;
}

offset_commit_response offset_commit(request_context& ctx, offset_commit_request& req) {
  const auto now = group_clock();
  auto& coordinator = *ctx.state.groups;
  const error_code membership = coordinator.check_commit(req.group_id, req.generation_id,
                                                         req.member_id, req.group_instance_id, now);
  offset_commit_response r;
  std::vector<std::pair<groups::topic_partition, groups::committed_offset>> entries;
  std::vector<error_code*> accepted;  // the response entries of `entries`, to fix on failure
  for (auto& t : req.topics) {
    auto& rt = r.topics.emplace_back();
    rt.name = t.name;
    for (auto& p : t.partitions) rt.partitions.push_back({p.partition_index, error_code::none});
  }
  for (size_t i = 0; i < req.topics.size(); ++i) {
    auto& t = req.topics[i];
    for (size_t j = 0; j < t.partitions.size(); ++j) {
      auto& p = t.partitions[j];
      error_code& e = r.topics[i].partitions[j].error;
      if (membership != error_code::none) {
        e = membership;
      } else if (!partition_exists(ctx.state, t.name, p.partition_index)) {
        e = error_code::unknown_topic_or_partition;
      } else if (p.metadata && p.metadata->size() > coordinator.options().max_metadata_bytes) {
        e = error_code::offset_metadata_too_large;
      } else {
        entries.push_back(
            {{t.name, p.partition_index},
             {p.committed_offset, p.committed_leader_epoch, std::move(p.metadata), now.wall_ms}});
        accepted.push_back(&e);
      }
    }
  }
  if (auto done = coordinator.commit(req.group_id, entries); !done) {
    log::get("broker")->error("group {}: committing {} offset(s): {}", req.group_id, entries.size(),
                              done.error().message);
    for (error_code* e : accepted) *e = error_code::unknown_server_error;
  }
  return r;
}

offset_fetch_response offset_fetch(request_context& ctx, offset_fetch_request& req) {
  offset_fetch_response r;
  const groups::offset_map* committed = ctx.state.groups->offsets(req.group_id);
  auto fill = [](offset_fetch_response::partition& p, const groups::committed_offset& c) {
    p.committed_offset = c.offset;
    p.committed_leader_epoch = c.leader_epoch;
    p.metadata = c.metadata.value_or("");
  };
  if (!req.topics) {
    // Everything the group committed.
    if (committed == nullptr) return r;
    for (const auto& [tp, c] : *committed) {
      if (r.topics.empty() || r.topics.back().name != tp.topic) r.topics.push_back({tp.topic, {}});
      fill(r.topics.back().partitions.emplace_back(offset_fetch_response::partition{
               tp.partition, -1, -1, std::nullopt, error_code::none}),
           c);
    }
    return r;
  }
  for (const auto& t : *req.topics) {
    auto& rt = r.topics.emplace_back();
    rt.name = t.name;
    for (int32_t p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p;
      rp.metadata = "";
      if (committed == nullptr) continue;
      auto it = committed->find({t.name, p});
      if (it != committed->end()) fill(rp, it->second);
    }
  }
  return r;
}

offset_delete_response offset_delete(request_context& ctx, offset_delete_request& req) {
  std::vector<groups::topic_partition> tps;
  for (const auto& t : req.topics) {
    for (const auto& p : t.partitions) tps.push_back({t.name, p.partition_index});
  }
  std::vector<error_code> results;
  offset_delete_response r;
  r.error = ctx.state.groups->delete_offsets(req.group_id, tps, results);
  if (r.error != error_code::none) return r;
  size_t i = 0;
  for (const auto& t : req.topics) {
    auto& rt = r.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      const error_code e = !partition_exists(ctx.state, t.name, p.partition_index)
                               ? error_code::unknown_topic_or_partition
                               : results[i];
      rt.partitions.push_back({p.partition_index, e});
      ++i;
    }
  }
  return r;
}

}  // namespace

result<outcome> handle_offset_commit(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<offset_commit_request, offset_commit_response, offset_commit>(ctx, body, out);
}

result<outcome> handle_offset_fetch(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<offset_fetch_request, offset_fetch_response, offset_fetch>(ctx, body, out);
}

result<outcome> handle_offset_delete(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<offset_delete_request, offset_delete_response, offset_delete>(ctx, body, out);
}

}  // namespace sluice::broker
