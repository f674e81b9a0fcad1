#include "broker/producers.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace sluice::broker {
namespace {

using kafka::error_code;

kafka::batch_header batch(int64_t pid, int16_t epoch, int32_t seq, int32_t count, int64_t base) {
  kafka::batch_header h;
  h.pid = producer_id(pid);
  h.epoch = producer_epoch(epoch);
  h.base_sequence = seq;
  h.last_offset_delta = count - 1;
  h.records_count = count;
  h.base_offset = offset(base);
  return h;
}

TEST(producer_state, sequences_duplicates_and_gaps) {
  producer_state s;
  EXPECT_EQ(s.check(batch(7, 0, 5, 1, 0)).error, error_code::unknown_producer_id);
  ASSERT_EQ(s.check(batch(7, 0, 0, 10, 0)).error, error_code::none);
  s.record(batch(7, 0, 0, 10, 0));
  ASSERT_EQ(s.check(batch(7, 0, 10, 5, 10)).error, error_code::none);
  s.record(batch(7, 0, 10, 5, 10));
  // A retry of either batch is a duplicate pointing at its original offset.
  auto dup = s.check(batch(7, 0, 0, 10, 99));
  ASSERT_TRUE(dup.duplicate_of.has_value());
  EXPECT_EQ(*dup.duplicate_of, offset(0));
  EXPECT_EQ(*s.check(batch(7, 0, 10, 5, 99)).duplicate_of, offset(10));
  // A gap, or a sequence from the past that is not a whole retry, is out of order.
  EXPECT_EQ(s.check(batch(7, 0, 16, 1, 99)).error, error_code::out_of_order_sequence_number);
  EXPECT_EQ(s.check(batch(7, 0, 3, 1, 99)).error, error_code::out_of_order_sequence_number);
  // Epochs: an older one is fenced; a newer one starts again at 0.
  EXPECT_EQ(s.check(batch(7, -1 + 0, 15, 1, 99)).error, error_code::invalid_producer_epoch);
  EXPECT_EQ(s.check(batch(7, 1, 15, 1, 99)).error, error_code::out_of_order_sequence_number);
  EXPECT_EQ(s.check(batch(7, 1, 0, 1, 99)).error, error_code::none);
  // Another producer is independent.
  EXPECT_EQ(s.check(batch(8, 0, 0, 1, 99)).error, error_code::none);
}

TEST(producer_state, only_the_last_five_batches_are_remembered) {
  producer_state s;
  for (int i = 0; i < 7; ++i) s.record(batch(1, 0, i, 1, i));
  EXPECT_TRUE(s.check(batch(1, 0, 6, 1, 0)).duplicate_of.has_value());
  EXPECT_TRUE(s.check(batch(1, 0, 2, 1, 0)).duplicate_of.has_value());
  EXPECT_FALSE(s.check(batch(1, 0, 1, 1, 0)).duplicate_of.has_value());
}

TEST(producer_state, sequence_wraps_at_int32_max) {
  producer_state s;
  s.record(batch(1, 0, INT32_MAX - 1, 2, 0));  // sequences MAX-1, MAX
  EXPECT_EQ(s.check(batch(1, 0, 0, 1, 2)).error, error_code::none);
  EXPECT_EQ(s.check(batch(1, 0, 1, 1, 2)).error, error_code::out_of_order_sequence_number);
}

TEST(producer_id_allocator, ids_are_never_reused_across_restarts) {
  auto dir = std::filesystem::temp_directory_path() / ("sluice-pids-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  int64_t last = -1;
  for (int round = 0; round < 3; ++round) {
    auto a = producer_id_allocator::open(dir);
    ASSERT_TRUE(a.has_value());
    for (int i = 0; i < 3; ++i) {
      auto id = a->next();
      ASSERT_TRUE(id.has_value());
      EXPECT_GT(id->value(), last);
      last = id->value();
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sluice::broker
