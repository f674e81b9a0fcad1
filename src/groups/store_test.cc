#include "groups/store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "groups/coordinator.h"

namespace sluice::groups {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice-groups-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::pair<topic_partition, committed_offset> entry(std::string topic, int32_t p, int64_t offset,
                                                   int64_t at = 1000) {
  return {{std::move(topic), p}, {offset, -1, "meta", at}};
}

TEST_F(StoreTest, EntriesSurviveReopening) {
  {
    auto [s, c] = *store::open(dir_, false);
    EXPECT_TRUE(c.offsets.empty());
    std::vector e{entry("t", 0, 10), entry("t", 1, 20), entry("u", 0, 5)};
    ASSERT_TRUE(s.put_offsets("g", e));
    std::vector newer{entry("t", 0, 11)};
    ASSERT_TRUE(s.put_offsets("g", newer));
    std::vector<topic_partition> gone{{"u", 0}};
    ASSERT_TRUE(s.delete_offsets("g", gone));
    group_record r;
    r.id = "g";
    r.state = group_state::stable;
    r.generation = 7;
    r.protocol_type = "consumer";
    r.protocol = "range";
    r.leader = "m1";
    r.members.push_back({"m1", "static-1", "client", "/127.0.0.1", 10000, 30000, {1, 2}, {3}});
    ASSERT_TRUE(s.put_group(r));
    ASSERT_TRUE(s.put_offsets("h", std::vector{entry("t", 0, 1)}));
    ASSERT_TRUE(s.delete_group("h"));
  }
  auto [s, c] = *store::open(dir_, false);
  ASSERT_EQ(c.offsets.size(), 1u);
  const offset_map& g = c.offsets.at("g");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g.at({"t", 0}).offset, 11);
  EXPECT_EQ(g.at({"t", 1}).offset, 20);
  EXPECT_EQ(g.at({"t", 1}).metadata, "meta");
  ASSERT_EQ(c.groups.size(), 1u);
  const group_record& r = c.groups.at("g");
  EXPECT_EQ(r.generation, 7);
  EXPECT_EQ(r.state, group_state::stable);
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].instance_id, "static-1");
  EXPECT_EQ(r.members[0].assignment, std::vector<uint8_t>{3});
}

TEST_F(StoreTest, ATornTailIsCutAtTheLastWholeEntry) {
  {
    auto [s, c] = *store::open(dir_, false);
    ASSERT_TRUE(s.put_offsets("g", std::vector{entry("t", 0, 1)}));
    ASSERT_TRUE(s.put_offsets("g", std::vector{entry("t", 0, 2)}));
  }
  const fs::path file = dir_ / "groups.journal";
  const auto good = fs::file_size(file);
  {
    // The last entry's payload damaged, then half an entry (a crash mid-write).
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(good - 3));
    f.put('\x7f');
    f.seekp(0, std::ios::end);
    f.write("\x00\x00\x00\x30\x01\x02", 6);
  }
  {
    auto [s, c] = *store::open(dir_, false);
    EXPECT_EQ(c.offsets.at("g").at({"t", 0}).offset, 1) << "the damaged entry is dropped";
    EXPECT_LT(fs::file_size(file), good);
    ASSERT_TRUE(s.put_offsets("g", std::vector{entry("t", 0, 3)}));
  }
  auto [s, c] = *store::open(dir_, false);
  EXPECT_EQ(c.offsets.at("g").at({"t", 0}).offset, 3) << "appends after recovery are readable";
}

TEST_F(StoreTest, CompactionKeepsExactlyTheLiveEntries) {
  auto [s, c] = *store::open(dir_, false);
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(s.put_offsets("g", std::vector{entry("t", i % 3, i)}));
  }
  EXPECT_TRUE(s.wants_compaction(3));
  const auto before = s.size_bytes();
  store_contents live;
  live.offsets["g"] = {entry("t", 0, 19998), entry("t", 1, 19999), entry("t", 2, 19997)};
  ASSERT_TRUE(s.compact(live));
  EXPECT_LT(s.size_bytes(), before / 1000);
  EXPECT_FALSE(s.wants_compaction(3));
  ASSERT_TRUE(s.put_offsets("g", std::vector{entry("t", 0, 20000)}));
  auto [s2, c2] = *store::open(dir_ / "", false);
  EXPECT_EQ(c2.offsets.at("g").size(), 3u);
  EXPECT_EQ(c2.offsets.at("g").at({"t", 0}).offset, 20000);
  EXPECT_EQ(c2.offsets.at("g").at({"t", 2}).offset, 19997);
}

// --- the coordinator over the store
// ---------------------------------------------------------------

join_request member_request(std::string member_id) {
  join_request r;
  r.group_id = "g";
  r.member_id = std::move(member_id);
  r.client_id = "c";
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 30000;
  r.protocol_type = "consumer";
  r.protocols = {{"range", {0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 0}}};
  return r;
}

TEST_F(StoreTest, TheCoordinatorRestoresOffsetsAndStableGroups) {
  std::string member;
  {
    auto c = std::move(*coordinator::open(dir_, {}, {0, 1000}));
    std::optional<join_result> joined;
    c->join(member_request(""), {0, 1000}, [&](join_result r) { joined = r; });
    ASSERT_TRUE(joined);
    ASSERT_EQ(joined->error, error_code::none);
    member = joined->member_id;
    std::optional<sync_result> synced;
    c->sync({"g", 1, member, std::nullopt, {{member, {5}}}}, {1, 1000},
            [&](sync_result r) { synced = r; });
    ASSERT_TRUE(synced);
    ASSERT_EQ(c->check_commit("g", 1, member, std::nullopt, {2, 1000}), error_code::none);
    ASSERT_TRUE(c->commit("g", std::vector{entry("t", 0, 42)}));
  }
  auto c = std::move(*coordinator::open(dir_, {}, {100, 2000}));
  ASSERT_NE(c->offsets("g"), nullptr);
  EXPECT_EQ(c->offsets("g")->at({"t", 0}).offset, 42);
  const group* g = c->find("g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state(), group_state::stable);
  EXPECT_EQ(c->heartbeat("g", 1, member, std::nullopt, {200, 2000}), error_code::none);
  EXPECT_EQ(c->delete_group("g"), error_code::non_empty_group);
  EXPECT_EQ(c->leave("g", member, std::nullopt, {300, 3000}), error_code::none);
  EXPECT_EQ(c->delete_group("g"), error_code::none);
  EXPECT_EQ(c->delete_group("g"), error_code::group_id_not_found);
  auto again = std::move(*coordinator::open(dir_, {}, {400, 4000}));
  EXPECT_EQ(again->offsets("g"), nullptr);
  EXPECT_TRUE(again->list().empty());
}

TEST_F(StoreTest, CoordinatorValidatesAndExpires) {
  coordinator_options o;
  o.offset_retention_ms = 1000;
  auto c = std::move(*coordinator::open(dir_, o, {0, 0}));
  auto bad = member_request("");
  bad.session_timeout_ms = 100;
  std::optional<join_result> r;
  c->join(bad, {0, 0}, [&](join_result x) { r = x; });
  EXPECT_EQ(r->error, error_code::invalid_session_timeout);
  bad.group_id = "";
  c->join(bad, {0, 0}, [&](join_result x) { r = x; });
  EXPECT_EQ(r->error, error_code::invalid_group_id);
  EXPECT_EQ(c->heartbeat("nope", 1, "m", std::nullopt, {0, 0}), error_code::unknown_member_id);

  // A standalone commit (generation -1) creates the group; its offsets expire after retention.
  EXPECT_EQ(c->check_commit("solo", -1, "", std::nullopt, {0, 0}), error_code::none);
  EXPECT_EQ(c->check_commit("solo", 3, "m", std::nullopt, {0, 0}), error_code::unknown_member_id);
  ASSERT_TRUE(c->commit("solo", std::vector{entry("t", 0, 9, 500)}));
  ASSERT_EQ(c->list().size(), 1u);
  EXPECT_EQ(c->list()[0].id, "solo");
  c->tick({10, 1400});
  EXPECT_NE(c->offsets("solo"), nullptr) << "not yet: committed at 500, retention 1000";
  c->tick({20, 70000});
  EXPECT_EQ(c->offsets("solo"), nullptr);
  EXPECT_TRUE(c->list().empty());
}

}  // namespace
}  // namespace sluice::groups
