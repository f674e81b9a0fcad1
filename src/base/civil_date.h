// Days since 1970-01-01 and dates of the proleptic Gregorian calendar, on 64-bit years so that
// every day count a 64-bit value allows has a date (std::chrono::year stops at 32767). Howard
// Hinnant's algorithms (http://howardhinnant.github.io/date_algorithms.html): eras of 400 years,
// years starting in March so that the leap day ends them. Pure, constexpr.
#pragma once

#include <cstdint>

namespace sluice {

struct civil_date {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31

  bool operator==(const civil_date&) const = default;
};

constexpr bool is_leap_year(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

// 28..31; month 1..12.
constexpr int days_in_month(int64_t year, int month) {
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

// Days since 1970-01-01 of a date; month and day must be in range.
constexpr int64_t days_from_civil(int64_t year, int month, int day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;
  const int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146'097 + day_of_era - 719'468;
}

// The date `days` after 1970-01-01.
constexpr civil_date civil_from_days(int64_t days) {
  const int64_t z = days + 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const int64_t day_of_era = z - era * 146'097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;
  const auto day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11'017);
static_assert(civil_from_days(-1) == civil_date{1969, 12, 31});
static_assert(civil_from_days(11'016) == civil_date{2000, 2, 29});

}  // namespace sluice
