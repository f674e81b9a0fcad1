#include "base/histogram.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(Histogram, EmptyIsZero) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  histogram h;
  for (uint64_t v = 0; v < 32; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.0), 0u);
  EXPECT_EQ(h.percentile(0.5), 16u);
  EXPECT_EQ(h.percentile(1.0), 31u);
}

TEST(Histogram, PercentilesWithinSixPercent) {
  histogram h;
  for (uint64_t v = 1; v <= 100'000; ++v) h.record(v);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double want = q * 100'000;
    const double got = static_cast<double>(h.percentile(q));
    EXPECT_GE(got, want * 0.99) << q;
    EXPECT_LE(got, want * 1.07) << q;
  }
}

TEST(Histogram, UpperBoundsGrowWithTheValue) {
  // Every value lands in a bucket whose upper bound is at least the value and within 1/16 of it.
  histogram h;
  for (uint64_t v : {uint64_t{17}, uint64_t{63}, uint64_t{64}, uint64_t{1000}, uint64_t{123456789},
                     uint64_t{1} << 39}) {
    h.reset();
    h.record(v);
    EXPECT_GE(h.percentile(0.5), v);
    EXPECT_LE(h.percentile(0.5), v + v / 16) << v;
  }
  h.reset();
  h.record(~uint64_t{0});  // beyond the range: the last bucket, never out of bounds
  EXPECT_GT(h.percentile(0.5), uint64_t{1} << 39);
}

TEST(Histogram, ConcurrentRecordsAreAllCounted) {
  histogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) h.record(static_cast<uint64_t>(i));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.count(), 40'000u);
}

}  // namespace
}  // namespace sluice
