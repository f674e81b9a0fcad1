#include "groups/group.h"

#include <gtest/gtest.h>

namespace sluice::groups {
namespace {

// A parked answer: empty until the group calls back.
struct join_box {
  std::optional<join_result> got;
  join_callback cb() {
    return [this](join_result r) { got = std::move(r); };
  }
};
struct sync_box {
  std::optional<sync_result> got;
  sync_callback cb() {
    return [this](sync_result r) { got = std::move(r); };
  }
};

join_request request(std::string member_id = {},
                     std::vector<member_protocol> protocols = {{"range", {1}}},
                     int32_t session = 10000, int32_t rebalance = 30000) {
  join_request r;
  r.group_id = "g";
  r.member_id = std::move(member_id);
  r.client_id = "c";
  r.client_host = "/127.0.0.1";
  r.session_timeout_ms = session;
  r.rebalance_timeout_ms = rebalance;
  r.protocol_type = "consumer";
  r.protocols = std::move(protocols);
  return r;
}

// Joins a new member through MEMBER_ID_REQUIRED, as JoinGroup v4+ clients do; returns its id.
std::string admit(group& g, millis now, join_box& box,
                  std::vector<member_protocol> protocols = {{"range", {1}}}) {
  join_box first;
  auto req = request({}, protocols);
  req.require_known_member_id = true;
  g.join(req, now, first.cb());
  EXPECT_TRUE(first.got);
  EXPECT_EQ(first.got->error, error_code::member_id_required);
  const std::string id = first.got->member_id;
  EXPECT_FALSE(id.empty());
  g.join(request(id, std::move(protocols)), now, box.cb());
  return id;
}

sync_result sync_now(group& g, const std::string& id, int32_t generation, millis now,
                     std::vector<std::pair<std::string, std::vector<uint8_t>>> assignments = {}) {
  sync_box box;
  g.sync({"g", generation, id, std::nullopt, std::move(assignments)}, now, box.cb());
  EXPECT_TRUE(box.got) << "sync parked";
  return box.got.value_or(sync_result{error_code::unknown_server_error, {}});
}

// Two members, a (the leader) and b, in a stable generation 2.
std::pair<std::string, std::string> stable_pair(group& g) {
  join_box a1, b1, a2;
  const std::string a = admit(g, 0, a1);
  sync_now(g, a, 1, 0);
  const std::string b = admit(g, 0, b1);
  g.join(request(a), 0, a2.cb());
  EXPECT_TRUE(a2.got && b1.got);
  sync_now(g, a, 2, 0);
  sync_now(g, b, 2, 0);
  EXPECT_EQ(g.state(), group_state::stable);
  return {a, b};
}

TEST(Group, SingleMemberJoinsAndSyncs) {
  group g("g", {});
  join_box box;
  const std::string id = admit(g, 0, box);
  ASSERT_TRUE(box.got);
  EXPECT_EQ(box.got->error, error_code::none);
  EXPECT_EQ(box.got->generation, 1);
  EXPECT_EQ(box.got->leader, id);
  EXPECT_EQ(box.got->protocol_name, "range");
  ASSERT_EQ(box.got->members.size(), 1u);
  EXPECT_EQ(box.got->members[0].metadata, std::vector<uint8_t>{1});
  EXPECT_EQ(g.state(), group_state::completing_rebalance);
  auto s = sync_now(g, id, 1, 0, {{id, {7, 7}}});
  EXPECT_EQ(s.error, error_code::none);
  EXPECT_EQ(s.assignment, (std::vector<uint8_t>{7, 7}));
  EXPECT_EQ(g.state(), group_state::stable);
  EXPECT_EQ(g.heartbeat(1, id, std::nullopt, 100), error_code::none);
  EXPECT_TRUE(g.take_dirty());
}

TEST(Group, SecondMemberWaitsForTheFirstToRejoin) {
  group g("g", {});
  join_box a1;
  const std::string a = admit(g, 0, a1);
  sync_now(g, a, 1, 0, {{a, {1}}});

  join_box b1;
  const std::string b = admit(g, 10, b1);
  EXPECT_FALSE(b1.got) << "parked until everyone rejoined";
  EXPECT_EQ(g.state(), group_state::preparing_rebalance);
  EXPECT_EQ(g.heartbeat(1, a, std::nullopt, 20), error_code::rebalance_in_progress);

  join_box a2;
  g.join(request(a), 30, a2.cb());
  ASSERT_TRUE(a2.got && b1.got);
  EXPECT_EQ(a2.got->generation, 2);
  EXPECT_EQ(b1.got->generation, 2);
  EXPECT_EQ(a2.got->leader, a);
  EXPECT_EQ(a2.got->members.size(), 2u) << "the leader sees everyone";
  EXPECT_TRUE(b1.got->members.empty()) << "followers see no one";

  sync_box follower;
  g.sync({"g", 2, b, std::nullopt, {}}, 40, follower.cb());
  EXPECT_FALSE(follower.got) << "the follower waits for the leader's assignment";
  auto lead = sync_now(g, a, 2, 50, {{a, {1}}, {b, {2}}});
  EXPECT_EQ(lead.assignment, std::vector<uint8_t>{1});
  ASSERT_TRUE(follower.got);
  EXPECT_EQ(follower.got->assignment, std::vector<uint8_t>{2});
  EXPECT_EQ(g.state(), group_state::stable);
}

TEST(Group, ASilentMemberExpiresAfterItsSessionTimeout) {
  group g("g", {});
  const auto [a, b] = stable_pair(g);

  // a heartbeats, b goes silent (killed without LeaveGroup).
  for (millis t = 1000; t <= 9000; t += 1000) {
    EXPECT_EQ(g.heartbeat(2, a, std::nullopt, t), error_code::none);
    g.tick(t);
  }
  EXPECT_EQ(g.members().size(), 2u);
  g.tick(10001);
  EXPECT_EQ(g.members().size(), 1u) << "b's 10 s session ran out";
  EXPECT_EQ(g.state(), group_state::preparing_rebalance);
  EXPECT_EQ(g.heartbeat(2, a, std::nullopt, 10100), error_code::rebalance_in_progress);
  join_box a3;
  g.join(request(a), 10200, a3.cb());
  ASSERT_TRUE(a3.got);
  EXPECT_EQ(a3.got->generation, 3);
  EXPECT_EQ(g.heartbeat(2, b, std::nullopt, 10300), error_code::unknown_member_id);
}

TEST(Group, AMemberThatDoesNotRejoinIsDroppedAtTheRebalanceTimeout) {
  group g("g", {});
  const auto [a, b] = stable_pair(g);

  join_box c1;
  const std::string c = admit(g, 100, c1);
  join_box a3;
  g.join(request(a), 200, a3.cb());
  // b keeps heartbeating but never rejoins.
  for (millis t = 1000; t < 30100; t += 1000) {
    g.heartbeat(2, b, std::nullopt, t);
    g.tick(t);
  }
  EXPECT_FALSE(a3.got);
  g.tick(30100);
  ASSERT_TRUE(a3.got && c1.got);
  EXPECT_EQ(a3.got->members.size(), 2u);
  EXPECT_FALSE(g.members().contains(b));
}

TEST(Group, ProtocolErrors) {
  group g("g", {});
  join_box a1;
  const std::string a = admit(g, 0, a1);
  join_box wrong_type;
  auto req = request();
  req.protocol_type = "connect";
  g.join(req, 0, wrong_type.cb());
  EXPECT_EQ(wrong_type.got->error, error_code::inconsistent_group_protocol);

  join_box no_common;
  g.join(request({}, {{"sticky", {}}}), 0, no_common.cb());
  EXPECT_EQ(no_common.got->error, error_code::inconsistent_group_protocol);

  join_box unknown;
  g.join(request("nobody"), 0, unknown.cb());
  EXPECT_EQ(unknown.got->error, error_code::unknown_member_id);

  EXPECT_EQ(sync_now(g, a, 7, 0).error, error_code::illegal_generation);
  EXPECT_EQ(sync_now(g, "nobody", 1, 0).error, error_code::unknown_member_id);
  EXPECT_EQ(g.heartbeat(0, a, std::nullopt, 0), error_code::illegal_generation);
  EXPECT_EQ(g.heartbeat(1, "nobody", std::nullopt, 0), error_code::unknown_member_id);
  EXPECT_EQ(g.leave("nobody", std::nullopt, 0), error_code::unknown_member_id);
  EXPECT_EQ(g.check_commit(-1, "", std::nullopt, 0), error_code::unknown_member_id);
  EXPECT_EQ(g.check_commit(1, a, std::nullopt, 0), error_code::rebalance_in_progress);
  sync_now(g, a, 1, 0);
  EXPECT_EQ(g.check_commit(1, a, std::nullopt, 0), error_code::none);
  EXPECT_EQ(g.check_commit(0, a, std::nullopt, 0), error_code::illegal_generation);

  // Joining again while preparing: syncs are refused until the generation completes.
  join_box b1;
  admit(g, 0, b1);
  EXPECT_EQ(sync_now(g, a, 1, 0).error, error_code::rebalance_in_progress);
}

TEST(Group, LeavingRebalancesAndTheLastLeaveEmptiesTheGroup) {
  group g("g", {});
  g.set_wall_clock(5000);
  const auto [a, b] = stable_pair(g);

  EXPECT_EQ(g.leave(b, std::nullopt, 10), error_code::none);
  EXPECT_EQ(g.state(), group_state::preparing_rebalance);
  join_box a3;
  g.join(request(a), 20, a3.cb());
  ASSERT_TRUE(a3.got);
  EXPECT_EQ(a3.got->generation, 3);
  EXPECT_EQ(g.leave(a, std::nullopt, 30), error_code::none);
  EXPECT_EQ(g.state(), group_state::empty);
  EXPECT_EQ(g.generation(), 4);
  EXPECT_EQ(g.empty_since_ms(), 5000);
  EXPECT_TRUE(g.idle());
}

TEST(Group, TheProtocolMostMembersPreferWins) {
  group g("g", {});
  join_box a1;
  const std::string a = admit(g, 0, a1, {{"range", {}}, {"roundrobin", {}}});
  sync_now(g, a, 1, 0);
  join_box b1, a2;
  admit(g, 0, b1, {{"roundrobin", {}}, {"range", {}}});
  join_box c1;
  admit(g, 0, c1, {{"roundrobin", {}}});
  g.join(request(a, {{"range", {}}, {"roundrobin", {}}}), 0, a2.cb());
  ASSERT_TRUE(a2.got);
  EXPECT_EQ(a2.got->protocol_name, "roundrobin");
}

TEST(Group, TheInitialDelayWaitsForMoreMembers) {
  group g("g", {.initial_rebalance_delay = 3000});
  join_box a1, b1;
  admit(g, 0, a1);
  EXPECT_FALSE(a1.got);
  g.tick(2000);
  admit(g, 2000, b1);  // extends the delay to 5000
  g.tick(4000);
  EXPECT_FALSE(a1.got);
  g.tick(5000);
  ASSERT_TRUE(a1.got && b1.got);
  EXPECT_EQ(a1.got->generation, 1);
  EXPECT_EQ(g.members().size(), 2u);
}

TEST(Group, AStaticMemberRestartsWithoutARebalance) {
  group g("g", {});
  join_box a1;
  auto req = request();
  req.instance_id = "worker-1";
  g.join(req, 0, a1.cb());
  ASSERT_TRUE(a1.got);
  EXPECT_EQ(a1.got->error, error_code::none) << "static members skip MEMBER_ID_REQUIRED";
  const std::string old_id = a1.got->member_id;
  sync_now(g, old_id, 1, 0, {{old_id, {9}}});

  join_box again;
  g.join(req, 100, again.cb());
  ASSERT_TRUE(again.got);
  EXPECT_EQ(again.got->error, error_code::none);
  EXPECT_EQ(again.got->generation, 1) << "same generation: no rebalance";
  EXPECT_NE(again.got->member_id, old_id);
  EXPECT_EQ(g.state(), group_state::stable);
  EXPECT_EQ(sync_now(g, again.got->member_id, 1, 200).assignment, std::vector<uint8_t>{9});
  EXPECT_EQ(g.heartbeat(1, old_id, "worker-1", 300), error_code::fenced_instance_id);
}

TEST(Group, AMissingLeaderAssignmentEndsTheGenerationAtTheSyncDeadline) {
  group g("g", {});
  join_box a1, b1, a2;
  const std::string a = admit(g, 0, a1);
  sync_now(g, a, 1, 0);
  const std::string b = admit(g, 0, b1);
  g.join(request(a), 0, a2.cb());
  ASSERT_EQ(g.state(), group_state::completing_rebalance);
  sync_box follower;
  g.sync({"g", 2, b, std::nullopt, {}}, 10, follower.cb());
  for (millis t = 1000; t <= 29000; t += 1000) {
    EXPECT_EQ(g.heartbeat(2, a, std::nullopt, t), error_code::none);  // a is alive, just silent
    g.tick(t);
  }
  EXPECT_FALSE(follower.got);
  g.tick(30001);  // the leader never sent its SyncGroup
  ASSERT_TRUE(follower.got);
  EXPECT_EQ(follower.got->error, error_code::rebalance_in_progress);
  EXPECT_FALSE(g.members().contains(a));
  EXPECT_EQ(g.state(), group_state::preparing_rebalance);
}

TEST(Group, RestoredStableGroupKeepsItsMembers) {
  group g("g", {});
  join_box a1;
  const std::string a = admit(g, 0, a1);
  sync_now(g, a, 1, 0, {{a, {4}}});
  const group_record r = g.record();
  group back(r, {}, 1000000);
  EXPECT_EQ(back.state(), group_state::stable);
  EXPECT_EQ(back.generation(), 1);
  EXPECT_EQ(back.heartbeat(1, a, std::nullopt, 1000001), error_code::none);
  EXPECT_EQ(sync_now(back, a, 1, 1000002).assignment, std::vector<uint8_t>{4});
}

TEST(Group, DeadGroupsAnswerParkedRequests) {
  group g("g", {});
  join_box a1, b1, a2;
  const std::string a = admit(g, 0, a1);
  sync_now(g, a, 1, 0);
  admit(g, 0, b1);
  g.make_dead();
  ASSERT_TRUE(b1.got);
  EXPECT_EQ(b1.got->error, error_code::coordinator_not_available);
}

}  // namespace
}  // namespace sluice::groups
