#include "base/civil_date.h"

#include <gtest/gtest.h>

#include <chrono>

namespace sluice {
namespace {

// Against std::chrono's calendar over every day of years -32767..32767, and round trips beyond.
TEST(civil_date, agrees_with_chrono_and_round_trips) {
  using namespace std::chrono;
  const int64_t first = sys_days(year{-32767} / 1 / 1).time_since_epoch().count();
  const int64_t last = sys_days(year{32767} / 12 / 31).time_since_epoch().count();
  for (int64_t d = first; d <= last; ++d) {
    const year_month_day expected{sys_days{days{d}}};
    const civil_date got = civil_from_days(d);
    ASSERT_EQ(got.year, static_cast<int>(expected.year())) << d;
    ASSERT_EQ(got.month, static_cast<int>(static_cast<unsigned>(expected.month()))) << d;
    ASSERT_EQ(got.day, static_cast<int>(static_cast<unsigned>(expected.day()))) << d;
    ASSERT_EQ(days_from_civil(got.year, got.month, got.day), d);
  }
  for (int64_t year : {int64_t{-999'999'999}, int64_t{999'999'999}, int64_t{5'000'000'000}}) {
    for (int month = 1; month <= 12; ++month) {
      const int64_t d = days_from_civil(year, month, days_in_month(year, month));
      EXPECT_EQ(civil_from_days(d), (civil_date{year, month, days_in_month(year, month)}));
      EXPECT_EQ(civil_from_days(d + 1).day, 1);
    }
  }
}

TEST(civil_date, leap_years_and_month_lengths) {
  EXPECT_TRUE(is_leap_year(2024));
  EXPECT_TRUE(is_leap_year(2000));
  EXPECT_FALSE(is_leap_year(2100));
  EXPECT_FALSE(is_leap_year(2026));
  EXPECT_TRUE(is_leap_year(-4));
  EXPECT_EQ(days_in_month(2026, 1), 31);
  EXPECT_EQ(days_in_month(2026, 2), 28);
  EXPECT_EQ(days_in_month(2024, 2), 29);
  EXPECT_EQ(days_in_month(2100, 2), 28);
  EXPECT_EQ(days_in_month(2000, 2), 29);
  EXPECT_EQ(days_in_month(2026, 4), 30);
  EXPECT_EQ(days_in_month(2026, 12), 31);
}

}  // namespace
}  // namespace sluice
