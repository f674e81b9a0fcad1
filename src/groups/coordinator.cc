#include "groups/coordinator.h"

#include <algorithm>

#include "base/log.h"

namespace sluice::groups {

result<std::unique_ptr<coordinator>> coordinator::open(const std::filesystem::path& dir,
                                                       coordinator_options options, instant now) {
  auto opened = SLUICE_TRY(store::open(dir, options.sync));
  auto& [s, contents] = opened;
  std::unique_ptr<coordinator> c(new coordinator(std::move(s), options));
  const timing t{options.initial_rebalance_delay};
  for (const auto& [id, record] : contents.groups) {
    c->groups_.try_emplace(id, record, t, now.steady);
  }
  c->offsets_ = std::move(contents.offsets);
  log::get("groups")->info("{} group(s), {} with committed offsets", c->groups_.size(),
                           c->offsets_.size());
  return c;
}

group* coordinator::lookup(const std::string& id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

const group* coordinator::find(const std::string& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

group& coordinator::get_or_create(const std::string& id) {
  return groups_.try_emplace(id, id, timing{options_.initial_rebalance_delay}).first->second;
}

void coordinator::persist(group& g) {
  if (!g.take_dirty()) return;
  if (auto r = store_.put_group(g.record()); !r) {
    log::get("groups")->error("group {}: {}", g.id(), r.error().message);
  }
}

void coordinator::join(join_request req, instant now, join_callback done) {
  if (req.group_id.empty()) {
    return done({.error = error_code::invalid_group_id, .member_id = req.member_id});
  }
  if (req.session_timeout_ms < options_.min_session_timeout ||
      req.session_timeout_ms > options_.max_session_timeout) {
    return done({.error = error_code::invalid_session_timeout, .member_id = req.member_id});
  }
  group* existing = lookup(req.group_id);
  if (existing == nullptr && !req.member_id.empty()) {
    return done({.error = error_code::unknown_member_id, .member_id = req.member_id});
  }
  group& g = existing ? *existing : get_or_create(req.group_id);
  g.set_wall_clock(now.wall_ms);
  const std::string id = g.id();
  g.join(std::move(req), now.steady, std::move(done));
  persist(g);
  forget_if_unused(id);
}

void coordinator::sync(sync_request req, instant now, sync_callback done) {
  if (req.group_id.empty()) return done({error_code::invalid_group_id, {}});
  group* g = lookup(req.group_id);
  if (g == nullptr) return done({error_code::unknown_member_id, {}});
  g->set_wall_clock(now.wall_ms);
  g->sync(std::move(req), now.steady, std::move(done));
  persist(*g);
}

error_code coordinator::heartbeat(const std::string& group_id, int32_t generation,
                                  const std::string& member_id,
                                  const std::optional<std::string>& instance_id, instant now) {
  if (group_id.empty()) return error_code::invalid_group_id;
  group* g = lookup(group_id);
  if (g == nullptr) return error_code::unknown_member_id;
  g->set_wall_clock(now.wall_ms);
  const error_code e = g->heartbeat(generation, member_id, instance_id, now.steady);
  persist(*g);
  return e;
}

error_code coordinator::leave(const std::string& group_id, const std::string& member_id,
                              const std::optional<std::string>& instance_id, instant now) {
  if (group_id.empty()) return error_code::invalid_group_id;
  group* g = lookup(group_id);
  if (g == nullptr) return error_code::unknown_member_id;
  g->set_wall_clock(now.wall_ms);
  const error_code e = g->leave(member_id, instance_id, now.steady);
  persist(*g);
  return e;
}

error_code coordinator::check_commit(const std::string& group_id, int32_t generation,
                                     const std::string& member_id,
                                     const std::optional<std::string>& instance_id, instant now) {
  if (group_id.empty()) return error_code::invalid_group_id;
  group* g = lookup(group_id);
  if (g == nullptr) {
    // Commits outside any generation create the group (as a standalone consumer's do in Kafka);
    // a member of a generation the coordinator has never seen is unknown.
    return generation < 0 ? error_code::none : error_code::unknown_member_id;
  }
  g->set_wall_clock(now.wall_ms);
  return g->check_commit(generation, member_id, instance_id, now.steady);
}

result<void> coordinator::commit(
    const std::string& group_id,
    std::span<const std::pair<topic_partition, committed_offset>> entries) {
  if (entries.empty()) return {};
  SLUICE_TRY(store_.put_offsets(group_id, entries));
  offset_map& m = offsets_[group_id];
  for (const auto& [tp, c] : entries) m[tp] = c;
  maybe_compact();
  return {};
}

const offset_map* coordinator::offsets(const std::string& group_id) const {
  auto it = offsets_.find(group_id);
  return it == offsets_.end() ? nullptr : &it->second;
}

std::vector<group_listing> coordinator::list() const {
  std::vector<group_listing> out;
  for (const auto& [id, g] : groups_) out.push_back({id, g.protocol_type(), g.state()});
  for (const auto& [id, offsets] : offsets_) {
    // A group known only by its offsets (committed by a standalone consumer or a tool).
    if (!groups_.contains(id)) out.push_back({id, "", group_state::empty});
  }
  std::ranges::sort(out, {}, &group_listing::id);
  return out;
}

error_code coordinator::delete_group(const std::string& group_id) {
  group* g = lookup(group_id);
  if (g == nullptr && !offsets_.contains(group_id)) return error_code::group_id_not_found;
  if (g != nullptr && g->state() != group_state::empty) return error_code::non_empty_group;
  if (auto r = store_.delete_group(group_id); !r) {
    log::get("groups")->error("deleting group {}: {}", group_id, r.error().message);
    return error_code::unknown_server_error;
  }
  if (g != nullptr) g->make_dead();
  groups_.erase(group_id);
  offsets_.erase(group_id);
  return error_code::none;
}

error_code coordinator::delete_offsets(const std::string& group_id,
                                       std::span<const topic_partition> tps,
                                       std::vector<error_code>& results) {
  results.assign(tps.size(), error_code::none);
  const group* g = lookup(group_id);
  auto offsets = offsets_.find(group_id);
  if (g == nullptr && offsets == offsets_.end()) return error_code::group_id_not_found;
  std::optional<std::vector<std::string>> subscribed;
  if (g != nullptr && g->state() != group_state::empty) {
    subscribed = g->subscribed_topics();
    if (!subscribed) return error_code::non_empty_group;
  }
  std::vector<topic_partition> doomed;
  for (size_t i = 0; i < tps.size(); ++i) {
    if (subscribed && std::ranges::find(*subscribed, tps[i].topic) != subscribed->end()) {
      results[i] = error_code::group_subscribed_to_topic;
    } else if (offsets != offsets_.end() && offsets->second.contains(tps[i])) {
      doomed.push_back(tps[i]);
    }
  }
  if (doomed.empty()) return error_code::none;
  if (auto r = store_.delete_offsets(group_id, doomed); !r) {
    log::get("groups")->error("deleting offsets of {}: {}", group_id, r.error().message);
    return error_code::unknown_server_error;
  }
  for (const auto& tp : doomed) offsets->second.erase(tp);
  if (offsets->second.empty()) offsets_.erase(offsets);
  return error_code::none;
}

void coordinator::forget_if_unused(const std::string& id) {
  group* g = lookup(id);
  if (g == nullptr || !g->idle() || offsets_.contains(id)) return;
  // An empty group that never committed anything (a member that got MEMBER_ID_REQUIRED and went
  // away, or everyone left) is not worth remembering; with no record, a restart agrees.
  if (g->generation() > 0) {
    if (auto r = store_.delete_group(id); !r) {
      log::get("groups")->error("forgetting group {}: {}", id, r.error().message);
      return;
    }
  }
  groups_.erase(id);
}

void coordinator::tick(instant now) {
  std::vector<std::string> emptied;
  for (auto& [id, g] : groups_) {
    g.set_wall_clock(now.wall_ms);
    g.tick(now.steady);
    persist(g);
    if (g.state() == group_state::empty) emptied.push_back(id);
  }
  if (now.wall_ms >= next_retention_check_ms_) {
    next_retention_check_ms_ = now.wall_ms + 60 * 1000;
    expire_offsets(now.wall_ms);
    for (const auto& [id, g] : groups_) {
      if (g.state() == group_state::empty) emptied.push_back(id);
    }
  }
  for (const auto& id : emptied) forget_if_unused(id);
}

void coordinator::expire_offsets(int64_t wall_ms) {
  for (auto it = offsets_.begin(); it != offsets_.end();) {
    const group* g = lookup(it->first);
    if (g != nullptr && g->state() != group_state::empty) {
      ++it;  // an active group keeps its offsets
      continue;
    }
    const int64_t empty_since = g ? g->empty_since_ms() : 0;
    std::vector<topic_partition> expired;
    for (const auto& [tp, c] : it->second) {
      if (std::max(c.commit_ms, empty_since) + options_.offset_retention_ms <= wall_ms) {
        expired.push_back(tp);
      }
    }
    if (!expired.empty()) {
      if (auto r = store_.delete_offsets(it->first, expired); !r) {
        log::get("groups")->error("expiring offsets of {}: {}", it->first, r.error().message);
      } else {
        log::get("groups")->info("group {}: {} committed offset(s) expired", it->first,
                                 expired.size());
        for (const auto& tp : expired) it->second.erase(tp);
      }
    }
    it = it->second.empty() ? offsets_.erase(it) : std::next(it);
  }
  maybe_compact();
}

void coordinator::maybe_compact() {
  size_t live = groups_.size();
  for (const auto& [id, m] : offsets_) live += m.size();
  if (!store_.wants_compaction(live)) return;
  store_contents contents;
  for (const auto& [id, g] : groups_) contents.groups.emplace(id, g.record());
  contents.offsets = offsets_;
  if (auto r = store_.compact(contents); !r) {
    log::get("groups")->error("compacting the group journal: {}", r.error().message);
  }
}

}  // namespace sluice::groups
