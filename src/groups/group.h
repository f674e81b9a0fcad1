// One consumer group's membership, as Kafka's classic group protocol defines it.
//
//   Empty --join--> PreparingRebalance --all rejoined or timeout--> CompletingRebalance
//     ^                   ^                                               |
//     |                   +---- join, leave, expiry, leader rejoin -------+-- leader's SyncGroup
//     +--- last member leaves or expires --- Stable <-------------------------+
//
// JoinGroup and SyncGroup answers are parked: the group keeps each member's callback and calls it
// when the join (or sync) phase completes, so a client's request stays open exactly as long as
// Kafka would keep it. Time comes in as arguments (a monotonic clock in milliseconds), so the
// state machine is deterministic under test; tick() runs the deadlines: session expiry, the
// rebalance timeout, the initial rebalance delay, and the sync deadline.
// Thread-safety: none; the broker calls it from its network thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api.h"

namespace sluice::groups {

using kafka::error_code;
using millis = int64_t;  // a monotonic clock reading or a span of time, in milliseconds

enum class group_state : uint8_t { empty, preparing_rebalance, completing_rebalance, stable, dead };
// As Kafka names states in DescribeGroups and ListGroups: "Empty", "PreparingRebalance", ...
std::string_view state_name(group_state s);

struct member_protocol {
  std::string name;
  std::vector<uint8_t> metadata;
  bool operator==(const member_protocol&) const = default;
};

struct join_request {
  std::string group_id;
  std::string member_id;                   // empty for a member joining for the first time
  std::optional<std::string> instance_id;  // static membership (group.instance.id)
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<member_protocol> protocols;
  bool require_known_member_id = false;  // JoinGroup v4+: answer MEMBER_ID_REQUIRED first
};

struct join_result {
  error_code error = error_code::none;
  int32_t generation = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  struct member {
    std::string id;
    std::optional<std::string> instance_id;
    std::vector<uint8_t> metadata;
  };
  std::vector<member> members;  // for the leader only: everyone's metadata for the protocol
};
using join_callback = std::function<void(join_result)>;

struct sync_request {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> instance_id;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> assignments;  // from the leader
};

struct sync_result {
  error_code error = error_code::none;
  std::vector<uint8_t> assignment;
};
using sync_callback = std::function<void(sync_result)>;

struct member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::vector<member_protocol> protocols;
  std::vector<uint8_t> assignment;
  join_callback awaiting_join;  // set while its JoinGroup is parked
  sync_callback awaiting_sync;  // set while its SyncGroup is parked
  millis heartbeat_deadline = 0;

  // The member's metadata for `protocol`, or nullptr when it does not offer it.
  [[nodiscard]] const std::vector<uint8_t>* metadata_for(std::string_view protocol) const;
};

struct timing {
  millis initial_rebalance_delay = 0;  // wait for more members before the first generation
};

// What survives a restart: the last generation and its members (see store.h).
struct group_record {
  std::string id;
  group_state state = group_state::empty;  // empty, completing_rebalance or stable
  int32_t generation = 0;
  std::string protocol_type;
  std::string protocol;
  std::string leader;
  int64_t empty_since_ms = 0;  // wall clock; offsets of an empty group expire from here
  struct member_record {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::vector<uint8_t> metadata;  // for `protocol`
    std::vector<uint8_t> assignment;
  };
  std::vector<member_record> members;
};

class group {
 public:
  group(std::string id, timing t) : id_(std::move(id)), timing_(t) {}
  // A group as it was persisted; a generation that was still completing starts a rebalance.
  group(const group_record& r, timing t, millis now);

  [[nodiscard]] const std::string& id() const { return id_; }
  [[nodiscard]] group_state state() const { return state_; }
  [[nodiscard]] int32_t generation() const { return generation_; }
  [[nodiscard]] const std::string& protocol_type() const { return protocol_type_; }
  [[nodiscard]] const std::string& protocol() const { return protocol_; }
  [[nodiscard]] const std::string& leader() const { return leader_; }
  [[nodiscard]] const std::map<std::string, member>& members() const { return members_; }
  [[nodiscard]] int64_t empty_since_ms() const { return empty_since_ms_; }
  // Empty, and no member is on its way in (MEMBER_ID_REQUIRED answered, rejoin awaited).
  [[nodiscard]] bool idle() const { return state_ == group_state::empty && pending_.empty(); }

  void join(join_request req, millis now, join_callback done);
  void sync(sync_request req, millis now, sync_callback done);
  error_code heartbeat(int32_t generation, const std::string& member_id,
                       const std::optional<std::string>& instance_id, millis now);
  error_code leave(const std::string& member_id, const std::optional<std::string>& instance_id,
                   millis now);
  // Whether a member (or, with generation -1 in an empty group, anyone) may commit offsets now.
  error_code check_commit(int32_t generation, const std::string& member_id,
                          const std::optional<std::string>& instance_id, millis now);
  // Runs what is due: expiries, the end of the join and sync phases.
  void tick(millis now);
  // Ends the group (deletion): parked requests are answered with COORDINATOR_NOT_AVAILABLE.
  void make_dead();

  // Topics the members subscribe to, read from "consumer" protocol metadata; nullopt when unknown.
  [[nodiscard]] std::optional<std::vector<std::string>> subscribed_topics() const;

  // Persistence: whether something a restart must see changed since the last take_dirty(), and
  // the record to persist. `wall_ms` stamps the moment the group became empty.
  bool take_dirty() { return std::exchange(dirty_, false); }
  [[nodiscard]] group_record record() const;
  void set_wall_clock(int64_t wall_ms) { wall_ms_ = wall_ms; }

 private:
  bool supports(const std::string& type, const std::vector<member_protocol>& protocols) const;
  void join_new(join_request req, millis now, join_callback done);
  void join_known(join_request req, millis now, join_callback done);
  void replace_static(const std::string& old_id, join_request req, millis now, join_callback done);
  void add_member(join_request req, std::string id, millis now, join_callback done);
  void await_join(member& m, join_request& req, join_callback done);
  void prepare_rebalance(millis now);
  void maybe_complete_join(millis now);
  void complete_join(millis now);
  void remove_member(const std::string& id, millis now);
  void become_empty();
  std::string select_protocol() const;
  millis max_rebalance_timeout() const;
  join_result current_generation(const member& m) const;
  member* find_member(const std::string& id);
  // FENCED_INSTANCE_ID when `instance_id` belongs to another member id, else none.
  error_code fenced(const std::string& member_id, const std::optional<std::string>& iid) const;

  std::string id_;
  timing timing_;
  group_state state_ = group_state::empty;
  int32_t generation_ = 0;
  std::string protocol_type_;
  std::string protocol_;
  std::string leader_;
  std::map<std::string, member> members_;
  std::map<std::string, std::string> instances_;  // static instance id -> member id
  std::map<std::string, millis> pending_;         // MEMBER_ID_REQUIRED given, rejoin by then
  bool delayed_join_ = false;                     // the initial rebalance delay is running
  millis join_deadline_ = 0;                      // the join phase ends by then
  millis delay_limit_ = 0;                        // the initial delay extends up to then
  millis sync_deadline_ = 0;                      // the leader's assignment is due by then
  int64_t empty_since_ms_ = 0;
  int64_t wall_ms_ = 0;
  bool dirty_ = false;
};

}  // namespace sluice::groups
