#include "broker/topics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace sluice::broker {
namespace {

class topics_test : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-topics-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST(topic_names, kafka_rules) {
  EXPECT_TRUE(validate_topic_name("users_created").has_value());
  EXPECT_TRUE(validate_topic_name("a.b-C_9").has_value());
  EXPECT_TRUE(validate_topic_name(std::string(249, 'x')).has_value());
  for (std::string bad :
       {std::string(""), std::string("."), std::string(".."), std::string(250, 'x'),
        std::string("a b"), std::string("a/b"), std::string("ü")}) {
    auto r = validate_topic_name(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_TRUE(is(r.error(), errc::invalid_topic));
  }
}

TEST_F(topics_test, create_persists_across_reopen) {
  {
    auto t = topic_table::open(dir_);
    ASSERT_TRUE(t.has_value()) << t.error().message;
    ASSERT_TRUE(t->create("a", 3).has_value());
    ASSERT_TRUE(t->create("b", 1).has_value());
    auto dup = t->create("a", 1);
    ASSERT_FALSE(dup.has_value());
    EXPECT_TRUE(is(dup.error(), errc::topic_exists));
    EXPECT_FALSE(t->create("c", 0).has_value());
    EXPECT_FALSE(t->create("bad name", 1).has_value());
    ASSERT_TRUE(t->remove("b").has_value());
    EXPECT_TRUE(is(t->remove("b").error(), errc::unknown_topic));
  }
  auto t = topic_table::open(dir_);
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->all().size(), 1u);
  EXPECT_EQ(t->find("a")->partitions, 3);
  EXPECT_EQ(t->find("b"), nullptr);
}

TEST_F(topics_test, corrupt_file_is_an_error_not_a_crash) {
  std::filesystem::create_directories(dir_);
  for (const char* bad : {"{not json", "[]", R"({"topics": [{"name": 1}]})"}) {
    std::ofstream(dir_ / "topics.json") << bad;
    auto t = topic_table::open(dir_);
    ASSERT_FALSE(t.has_value()) << bad;
    EXPECT_TRUE(is(t.error(), errc::storage));
  }
}

TEST_F(topics_test, cluster_id_is_stable) {
  std::filesystem::create_directories(dir_);
  auto a = load_or_create_cluster_id(dir_);
  auto b = load_or_create_cluster_id(dir_);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->size(), 22u);
  EXPECT_EQ(*a, *b);
}

}  // namespace
}  // namespace sluice::broker
