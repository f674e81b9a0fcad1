#include "process/offsets.h"

#include <thread>

#include <gtest/gtest.h>

namespace sluice::process {
namespace {

using pairs = std::vector<std::pair<int32_t, int64_t>>;

TEST(OffsetTracker, CommitsOnlyPastContiguouslyDoneRecords) {
  offset_tracker t;
  for (int64_t o = 10; o < 15; ++o) t.dispatched(0, o);
  EXPECT_EQ(t.committable(), (pairs{{0, 10}}));
  t.done(0, 12);
  t.done(0, 11);
  EXPECT_EQ(t.committable(), (pairs{{0, 10}}));  // 10 is still being written
  t.done(0, 10);
  EXPECT_EQ(t.committable(), (pairs{{0, 13}}));
  t.done(0, 14);
  t.done(0, 13);
  EXPECT_EQ(t.committable(), (pairs{{0, 15}}));
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(OffsetTracker, GapsInOffsetsAreFine) {
  offset_tracker t;
  t.dispatched(3, 5);
  t.dispatched(3, 9);  // 6..8 compacted away or transaction markers
  t.done(3, 9);
  EXPECT_EQ(t.committable(), (pairs{{3, 5}}));
  t.done(3, 5);
  EXPECT_EQ(t.committable(), (pairs{{3, 10}}));
}

TEST(OffsetTracker, PartitionsAreIndependentAndChangesReportMovesOnce) {
  offset_tracker t;
  t.dispatched(0, 0);
  t.dispatched(1, 100);
  t.done(1, 100);
  EXPECT_EQ(t.changes(), (pairs{{0, 0}, {1, 101}}));
  EXPECT_EQ(t.changes(), pairs{});
  t.done(0, 0);
  EXPECT_EQ(t.changes(), (pairs{{0, 1}}));
  t.resend();
  EXPECT_EQ(t.changes(), (pairs{{0, 1}, {1, 101}}));
}

TEST(OffsetTracker, DuplicateAndUnknownDoneAreIgnored) {
  offset_tracker t;
  t.dispatched(0, 1);
  t.dispatched(0, 2);
  t.done(0, 2);
  t.done(0, 2);
  t.done(0, 7);
  t.done(5, 1);
  EXPECT_EQ(t.in_flight(), 1u);
  EXPECT_EQ(t.committable(), (pairs{{0, 1}}));
}

TEST(OffsetTracker, ForgetDropsThePartitionAndItsInFlight) {
  offset_tracker t;
  t.dispatched(0, 1);
  t.dispatched(1, 1);
  t.forget(0);
  EXPECT_EQ(t.in_flight(), 1u);
  EXPECT_EQ(t.committable(), (pairs{{1, 1}}));
  t.done(0, 1);  // a late answer for a revoked partition
  EXPECT_EQ(t.in_flight(), 1u);
}

TEST(OffsetTracker, ConcurrentDoneFromManyThreads) {
  offset_tracker t;
  constexpr int n = 20'000;
  for (int64_t o = 0; o < n; ++o) t.dispatched(static_cast<int32_t>(o % 4), o);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int64_t o = n - 1 - k; o >= 0; o -= 4) t.done(static_cast<int32_t>(o % 4), o);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.in_flight(), 0u);
  for (const auto& [p, off] : t.committable()) EXPECT_GE(off, n - 4) << p;
}

}  // namespace
}  // namespace sluice::process
