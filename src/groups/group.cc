#include "groups/group.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "kafka/messages/consumer_protocol.h"

namespace sluice::groups {
namespace {

// Kafka's form: the client id, a dash, a random UUID.
std::string new_member_id(const std::string& client_id) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  return fmt::format("{}-{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", client_id, a >> 32,
                     (a >> 16) & 0xffff, a & 0xfff, 0x8000 | ((b >> 48) & 0x3fff),
                     b & 0xffffffffffff);
}

join_result failed_join(error_code e, std::string member_id = {}) {
  join_result r;
  r.error = e;
  r.member_id = std::move(member_id);
  return r;
}

}  // namespace

std::string_view state_name(group_state s) {
  switch (s) {
    case group_state::empty: return "Empty";
    case group_state::preparing_rebalance: return "PreparingRebalance";
    case group_state::completing_rebalance: return "CompletingRebalance";
    case group_state::stable: return "Stable";
    case group_state::dead: return "Dead";
  }
  return "Unknown";
}

const std::vector<uint8_t>* member::metadata_for(std::string_view name) const {
  for (const member_protocol& p : protocols) {
    if (p.name == name) return &p.metadata;
  }
  return nullptr;
}

group::group(const group_record& r, timing t, millis now)
    : id_(r.id),
      timing_(t),
      generation_(r.generation),
      protocol_type_(r.protocol_type),
      protocol_(r.protocol),
      leader_(r.leader),
      empty_since_ms_(r.empty_since_ms) {
  // Without a protocol there is no metadata worth keeping: the members rejoin from scratch.
  for (const auto& mr : r.protocol.empty() ? decltype(r.members){} : r.members) {
    member m{.id = mr.id,
             .instance_id = mr.instance_id,
             .client_id = mr.client_id,
             .client_host = mr.client_host,
             .session_timeout_ms = mr.session_timeout_ms,
             .rebalance_timeout_ms = mr.rebalance_timeout_ms,
             .protocols = {{r.protocol, mr.metadata}},
             .assignment = mr.assignment,
             .awaiting_join = nullptr,
             .awaiting_sync = nullptr,
             .heartbeat_deadline = now + mr.session_timeout_ms};
    if (m.instance_id) instances_[*m.instance_id] = m.id;
    members_.emplace(m.id, std::move(m));
  }
  if (members_.empty()) {
    state_ = group_state::empty;
  } else if (r.state == group_state::stable) {
    state_ = group_state::stable;
  } else {
    // The leader's assignment never arrived before the restart: everyone rejoins.
    state_ = group_state::stable;
    prepare_rebalance(now);
  }
}

bool group::supports(const std::string& type, const std::vector<member_protocol>& protocols) const {
  if (type.empty() || protocols.empty()) return false;
  if (members_.empty()) return true;
  if (type != protocol_type_) return false;
  // Some protocol every member (and this one) offers.
  return std::ranges::any_of(protocols, [&](const member_protocol& p) {
    return std::ranges::all_of(members_,
                               [&](const auto& kv) { return kv.second.metadata_for(p.name); });
  });
}

member* group::find_member(const std::string& id) {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

error_code group::fenced(const std::string& member_id,
                         const std::optional<std::string>& iid) const {
  if (!iid) return error_code::none;
  auto it = instances_.find(*iid);
  if (it != instances_.end() && it->second != member_id) return error_code::fenced_instance_id;
  return error_code::none;
}

void group::join(join_request req, millis now, join_callback done) {
  if (state_ == group_state::dead) {
    return done(failed_join(error_code::coordinator_not_available, req.member_id));
  }
  if (!supports(req.protocol_type, req.protocols)) {
    return done(failed_join(error_code::inconsistent_group_protocol, req.member_id));
  }
  if (req.member_id.empty()) {
    join_new(std::move(req), now, std::move(done));
  } else {
    join_known(std::move(req), now, std::move(done));
  }
}

void group::join_new(join_request req, millis now, join_callback done) {
  std::string id = new_member_id(req.client_id);
  if (req.instance_id) {
    auto known = instances_.find(*req.instance_id);
    if (known != instances_.end()) {
      const std::string old_id = known->second;
      return replace_static(old_id, std::move(req), now, std::move(done));
    }
    return add_member(std::move(req), std::move(id), now, std::move(done));
  }
  if (req.require_known_member_id) {
    // The member learns its id first and joins with it; a client that never comes back leaves
    // nothing behind but this entry, which expires.
    pending_[id] = now + req.session_timeout_ms;
    return done(failed_join(error_code::member_id_required, std::move(id)));
  }
  add_member(std::move(req), std::move(id), now, std::move(done));
}

void group::join_known(join_request req, millis now, join_callback done) {
  if (auto p = pending_.find(req.member_id); p != pending_.end()) {
    pending_.erase(p);
    std::string id = req.member_id;
    return add_member(std::move(req), std::move(id), now, std::move(done));
  }
  if (auto e = fenced(req.member_id, req.instance_id); e != error_code::none) {
    return done(failed_join(e, req.member_id));
  }
  member* m = find_member(req.member_id);
  if (m == nullptr) return done(failed_join(error_code::unknown_member_id, req.member_id));
  m->heartbeat_deadline = now + req.session_timeout_ms;
  const bool same = m->protocols == req.protocols;
  switch (state_) {
    case group_state::preparing_rebalance:
      await_join(*m, req, std::move(done));
      maybe_complete_join(now);
      return;
    case group_state::completing_rebalance:
      if (same) return done(current_generation(*m));
      await_join(*m, req, std::move(done));
      prepare_rebalance(now);
      return;
    case group_state::stable:
      // A follower rejoining unchanged gets the generation it has; the leader rejoining means it
      // wants a new assignment (its metadata view changed), as does any changed subscription.
      if (same && m->id != leader_) return done(current_generation(*m));
      await_join(*m, req, std::move(done));
      prepare_rebalance(now);
      return;
    case group_state::empty:
    case group_state::dead: return done(failed_join(error_code::unknown_member_id, req.member_id));
  }
}

void group::replace_static(const std::string& old_id, join_request req, millis now,
                           join_callback done) {
  // A restarted static member: it takes over its old identity under a new member id, and the old
  // incarnation (if it still talks) is fenced.
  auto node = members_.extract(old_id);
  member m = std::move(node.mapped());
  join_callback old_join = std::move(m.awaiting_join);
  sync_callback old_sync = std::move(m.awaiting_sync);
  m.awaiting_join = nullptr;
  m.awaiting_sync = nullptr;
  m.id = new_member_id(req.client_id);
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.heartbeat_deadline = now + req.session_timeout_ms;
  const bool same = m.protocols == req.protocols;
  instances_[*req.instance_id] = m.id;
  if (leader_ == old_id) leader_ = m.id;
  auto [it, _] = members_.emplace(m.id, std::move(m));
  member& nm = it->second;
  dirty_ = true;
  if (old_join) old_join(failed_join(error_code::fenced_instance_id, old_id));
  if (old_sync) old_sync({error_code::fenced_instance_id, {}});
  if (state_ == group_state::stable && same) return done(current_generation(nm));
  await_join(nm, req, std::move(done));
  if (state_ == group_state::preparing_rebalance) {
    maybe_complete_join(now);
  } else {
    prepare_rebalance(now);
  }
}

void group::add_member(join_request req, std::string id, millis now, join_callback done) {
  if (members_.empty()) protocol_type_ = req.protocol_type;
  member m{.id = id,
           .instance_id = req.instance_id,
           .client_id = req.client_id,
           .client_host = req.client_host,
           .session_timeout_ms = req.session_timeout_ms,
           .rebalance_timeout_ms = req.rebalance_timeout_ms,
           .protocols = {},
           .assignment = {},
           .awaiting_join = nullptr,
           .awaiting_sync = nullptr,
           .heartbeat_deadline = now + req.session_timeout_ms};
  if (m.instance_id) instances_[*m.instance_id] = id;
  if (leader_.empty()) leader_ = id;
  auto [it, _] = members_.emplace(id, std::move(m));
  await_join(it->second, req, std::move(done));
  if (state_ == group_state::preparing_rebalance) {
    if (delayed_join_)
      join_deadline_ = std::min(now + timing_.initial_rebalance_delay, delay_limit_);
    maybe_complete_join(now);
  } else {
    prepare_rebalance(now);
  }
}

void group::await_join(member& m, join_request& req, join_callback done) {
  m.protocols = std::move(req.protocols);
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  // A second JoinGroup from the same member replaces the first, which must not hang.
  if (m.awaiting_join) {
    std::exchange(m.awaiting_join, nullptr)(failed_join(error_code::rebalance_in_progress, m.id));
  }
  m.awaiting_join = std::move(done);
}

void group::prepare_rebalance(millis now) {
  std::vector<sync_callback> abandoned;
  if (state_ == group_state::completing_rebalance) {
    for (auto& [id, m] : members_) {
      m.assignment.clear();
      if (m.awaiting_sync) abandoned.push_back(std::exchange(m.awaiting_sync, nullptr));
    }
  }
  const bool was_empty = state_ == group_state::empty;
  state_ = group_state::preparing_rebalance;
  if (was_empty && timing_.initial_rebalance_delay > 0) {
    delayed_join_ = true;
    delay_limit_ = now + max_rebalance_timeout();
    join_deadline_ = std::min(now + timing_.initial_rebalance_delay, delay_limit_);
  } else {
    delayed_join_ = false;
    join_deadline_ = now + max_rebalance_timeout();
  }
  for (auto& cb : abandoned) cb({error_code::rebalance_in_progress, {}});
  maybe_complete_join(now);
}

void group::maybe_complete_join(millis now) {
  if (state_ != group_state::preparing_rebalance || delayed_join_) return;
  const bool all_joined = pending_.empty() && std::ranges::all_of(members_, [](const auto& kv) {
                            return static_cast<bool>(kv.second.awaiting_join);
                          });
  if (all_joined) complete_join(now);
}

void group::complete_join(millis now) {
  // Members that did not rejoin in time are out of the next generation.
  std::vector<std::string> gone;
  for (const auto& [id, m] : members_) {
    if (!m.awaiting_join) gone.push_back(id);
  }
  for (const auto& id : gone) {
    member& m = members_.at(id);
    if (m.instance_id) instances_.erase(*m.instance_id);
    sync_callback s = std::move(m.awaiting_sync);
    members_.erase(id);
    if (s) s({error_code::unknown_member_id, {}});
  }
  delayed_join_ = false;
  dirty_ = true;
  ++generation_;
  if (members_.empty()) {
    become_empty();
    return;
  }
  if (!members_.contains(leader_)) leader_ = members_.begin()->first;
  protocol_ = select_protocol();
  state_ = group_state::completing_rebalance;
  sync_deadline_ = now + max_rebalance_timeout();
  std::vector<std::pair<join_callback, join_result>> replies;
  for (auto& [id, m] : members_) {
    m.heartbeat_deadline = now + m.session_timeout_ms;
    replies.emplace_back(std::exchange(m.awaiting_join, nullptr), current_generation(m));
  }
  for (auto& [cb, r] : replies) cb(std::move(r));
}

void group::become_empty() {
  state_ = group_state::empty;
  protocol_.clear();
  leader_.clear();
  empty_since_ms_ = wall_ms_;
  dirty_ = true;
}

join_result group::current_generation(const member& m) const {
  join_result r;
  r.generation = generation_;
  r.protocol_name = protocol_;
  r.leader = leader_;
  r.member_id = m.id;
  if (m.id == leader_) {
    for (const auto& [id, other] : members_) {
      const auto* md = other.metadata_for(protocol_);
      r.members.push_back({id, other.instance_id, md ? *md : std::vector<uint8_t>{}});
    }
  }
  return r;
}

std::string group::select_protocol() const {
  // Each member votes for the first protocol, in its own order of preference, that all members
  // offer; the most votes win, ties going to the earliest in the leader's order.
  std::vector<std::string> candidates;
  const member& lead = members_.at(leader_);
  for (const member_protocol& p : lead.protocols) {
    if (std::ranges::all_of(members_,
                            [&](const auto& kv) { return kv.second.metadata_for(p.name); })) {
      candidates.push_back(p.name);
    }
  }
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_) {
    for (const member_protocol& p : m.protocols) {
      if (std::ranges::find(candidates, p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string best;
  int most = -1;
  for (const auto& c : candidates) {
    if (votes[c] > most) {
      best = c;
      most = votes[c];
    }
  }
  return best;
}

millis group::max_rebalance_timeout() const {
  millis longest = 0;
  for (const auto& [id, m] : members_) longest = std::max<millis>(longest, m.rebalance_timeout_ms);
  return longest;
}

void group::sync(sync_request req, millis now, sync_callback done) {
  if (state_ == group_state::dead) return done({error_code::coordinator_not_available, {}});
  if (auto e = fenced(req.member_id, req.instance_id); e != error_code::none) return done({e, {}});
  member* m = find_member(req.member_id);
  if (m == nullptr) return done({error_code::unknown_member_id, {}});
  if (req.generation != generation_) return done({error_code::illegal_generation, {}});
  switch (state_) {
    case group_state::empty:
    case group_state::dead: return done({error_code::unknown_member_id, {}});
    case group_state::preparing_rebalance: return done({error_code::rebalance_in_progress, {}});
    case group_state::stable:
      m->heartbeat_deadline = now + m->session_timeout_ms;
      return done({error_code::none, m->assignment});
    case group_state::completing_rebalance: break;
  }
  m->heartbeat_deadline = now + m->session_timeout_ms;
  if (m->awaiting_sync) {
    std::exchange(m->awaiting_sync, nullptr)({error_code::rebalance_in_progress, {}});
  }
  m->awaiting_sync = std::move(done);
  if (req.member_id != leader_) return;
  // The leader's assignment: everyone gets theirs, members it left out get nothing.
  for (auto& [id, mem] : members_) mem.assignment.clear();
  for (auto& [id, bytes] : req.assignments) {
    if (member* target = find_member(id)) target->assignment = std::move(bytes);
  }
  state_ = group_state::stable;
  dirty_ = true;
  std::vector<std::pair<sync_callback, sync_result>> replies;
  for (auto& [id, mem] : members_) {
    if (mem.awaiting_sync) {
      replies.emplace_back(std::exchange(mem.awaiting_sync, nullptr),
                           sync_result{error_code::none, mem.assignment});
    }
  }
  for (auto& [cb, r] : replies) cb(std::move(r));
}

error_code group::heartbeat(int32_t generation, const std::string& member_id,
                            const std::optional<std::string>& instance_id, millis now) {
  if (state_ == group_state::dead) return error_code::coordinator_not_available;
  if (auto e = fenced(member_id, instance_id); e != error_code::none) return e;
  member* m = find_member(member_id);
  if (m == nullptr) return error_code::unknown_member_id;
  if (generation != generation_) return error_code::illegal_generation;
  switch (state_) {
    case group_state::empty:
    case group_state::dead: return error_code::unknown_member_id;
    case group_state::preparing_rebalance:
      m->heartbeat_deadline = now + m->session_timeout_ms;
      return error_code::rebalance_in_progress;
    case group_state::completing_rebalance:
    case group_state::stable: m->heartbeat_deadline = now + m->session_timeout_ms; break;
  }
  return error_code::none;
}

error_code group::leave(const std::string& member_id, const std::optional<std::string>& instance_id,
                        millis now) {
  if (state_ == group_state::dead) return error_code::coordinator_not_available;
  std::string id = member_id;
  if (id.empty() && instance_id) {
    auto it = instances_.find(*instance_id);
    if (it == instances_.end()) return error_code::unknown_member_id;
    id = it->second;
  }
  if (pending_.erase(id) > 0) {
    maybe_complete_join(now);
    return error_code::none;
  }
  if (find_member(id) == nullptr) return error_code::unknown_member_id;
  if (auto e = fenced(id, instance_id); e != error_code::none) return e;
  remove_member(id, now);
  return error_code::none;
}

void group::remove_member(const std::string& id, millis now) {
  auto node = members_.extract(id);
  member& m = node.mapped();
  if (m.instance_id) instances_.erase(*m.instance_id);
  if (leader_ == id) {
    auto joining = std::ranges::find_if(
        members_, [](const auto& kv) { return static_cast<bool>(kv.second.awaiting_join); });
    leader_ = joining != members_.end() ? joining->first
              : members_.empty()        ? std::string{}
                                        : members_.begin()->first;
  }
  if (m.awaiting_join) m.awaiting_join(failed_join(error_code::unknown_member_id, id));
  if (m.awaiting_sync) m.awaiting_sync({error_code::unknown_member_id, {}});
  switch (state_) {
    case group_state::stable:
    case group_state::completing_rebalance: prepare_rebalance(now); break;
    case group_state::preparing_rebalance: maybe_complete_join(now); break;
    case group_state::empty:
    case group_state::dead: break;
  }
}

error_code group::check_commit(int32_t generation, const std::string& member_id,
                               const std::optional<std::string>& instance_id, millis now) {
  if (state_ == group_state::dead) return error_code::coordinator_not_available;
  // Offsets committed from outside any generation (a standalone consumer, an admin tool) are
  // accepted while nobody is a member.
  if (generation < 0 && state_ == group_state::empty) return error_code::none;
  if (auto e = fenced(member_id, instance_id); e != error_code::none) return e;
  member* m = find_member(member_id);
  if (m == nullptr) return error_code::unknown_member_id;
  if (generation != generation_) return error_code::illegal_generation;
  if (state_ == group_state::completing_rebalance) return error_code::rebalance_in_progress;
  m->heartbeat_deadline = now + m->session_timeout_ms;
  return error_code::none;
}

void group::tick(millis now) {
  bool pending_expired = false;
  std::erase_if(pending_, [&](const auto& kv) {
    const bool expired = now >= kv.second;
    pending_expired |= expired;
    return expired;
  });
  // Members whose session ran out. A member whose JoinGroup or SyncGroup is parked is alive: the
  // join and sync deadlines bound those waits instead.
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_) {
    if (!m.awaiting_join && !m.awaiting_sync && now >= m.heartbeat_deadline) expired.push_back(id);
  }
  for (const auto& id : expired) {
    if (members_.contains(id)) remove_member(id, now);
  }
  if (state_ == group_state::preparing_rebalance && now >= join_deadline_) {
    complete_join(now);
  } else if (pending_expired) {
    maybe_complete_join(now);
  }
  if (state_ == group_state::completing_rebalance && now >= sync_deadline_) {
    // The leader's assignment did not come: whoever has not synced is out, the rest rejoin.
    std::vector<std::string> silent;
    for (const auto& [id, m] : members_) {
      if (!m.awaiting_sync) silent.push_back(id);
    }
    for (const auto& id : silent) {
      if (members_.contains(id)) remove_member(id, now);
    }
    if (state_ == group_state::completing_rebalance) prepare_rebalance(now);
  }
}

void group::make_dead() {
  state_ = group_state::dead;
  std::vector<join_callback> joins;
  std::vector<sync_callback> syncs;
  for (auto& [id, m] : members_) {
    if (m.awaiting_join) joins.push_back(std::exchange(m.awaiting_join, nullptr));
    if (m.awaiting_sync) syncs.push_back(std::exchange(m.awaiting_sync, nullptr));
  }
  members_.clear();
  instances_.clear();
  pending_.clear();
  for (auto& cb : joins) cb(failed_join(error_code::coordinator_not_available));
  for (auto& cb : syncs) cb({error_code::coordinator_not_available, {}});
}

std::optional<std::vector<std::string>> group::subscribed_topics() const {
  if (protocol_type_ != "consumer" || members_.empty()) return std::nullopt;
  std::vector<std::string> topics;
  for (const auto& [id, m] : members_) {
    const auto* md = protocol_.empty() ? (m.protocols.empty() ? nullptr : &m.protocols[0].metadata)
                                       : m.metadata_for(protocol_);
    if (md == nullptr) return std::nullopt;
    auto sub = kafka::decode_subscription(*md);
    if (!sub) return std::nullopt;
    for (auto& t : sub->topics) {
      if (std::ranges::find(topics, t) == topics.end()) topics.push_back(std::move(t));
    }
  }
  return topics;
}

group_record group::record() const {
  group_record r;
  r.id = id_;
  r.state = state_ == group_state::stable ? group_state::stable
            : members_.empty()            ? group_state::empty
                                          : group_state::completing_rebalance;
  r.generation = generation_;
  r.protocol_type = protocol_type_;
  r.protocol = protocol_;
  r.leader = leader_;
  r.empty_since_ms = empty_since_ms_;
  for (const auto& [id, m] : members_) {
    const auto* md = m.metadata_for(protocol_);
    r.members.push_back({id, m.instance_id, m.client_id, m.client_host, m.session_timeout_ms,
                         m.rebalance_timeout_ms, md ? *md : std::vector<uint8_t>{}, m.assignment});
  }
  return r;
}

}  // namespace sluice::groups
