#include "schedule/cron.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::schedule {
namespace {

time_point at(std::string_view iso) {
  auto t = parse_iso(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t.value_or(time_point{});
}

cron parsed(std::string_view text) {
  auto c = cron::parse(text);
  EXPECT_TRUE(c.has_value()) << text << ": " << (c ? "" : c.error().message);
  return c ? *c : *cron::parse("* * * * *");
}

std::string error_of(std::string_view text) {
  auto c = cron::parse(text);
  if (c) return "parsed as " + c->expression();
  EXPECT_TRUE(is(c.error(), errc::bad_schedule));
  return c.error().message;
}

// The next n firing times after `from`, formatted.
std::vector<std::string> firings(const cron& c, std::string_view from, int n) {
  std::vector<std::string> out;
  time_point t = at(from);
  for (int i = 0; i < n; ++i) out.push_back(format_iso(t = c.next_after(t)));
  return out;
}

// The n firing times before `from`, latest first.
std::vector<std::string> firings_before(const cron& c, std::string_view from, int n) {
  std::vector<std::string> out;
  time_point t = at(from);
  for (int i = 0; i < n; ++i) out.push_back(format_iso(t = c.prev_before(t)));
  return out;
}

TEST(cron, presets_expand) {
  EXPECT_EQ(parsed("@hourly").expression(), "0 * * * *");
  EXPECT_EQ(parsed("@daily").expression(), "0 0 * * *");
  EXPECT_EQ(parsed("@midnight").expression(), "0 0 * * *");
  EXPECT_EQ(parsed("@weekly").expression(), "0 0 * * 0");
  EXPECT_EQ(parsed("@monthly").expression(), "0 0 1 * *");
  EXPECT_EQ(parsed("@yearly").expression(), "0 0 1 1 *");
  EXPECT_EQ(parsed("@annually").expression(), "0 0 1 1 *");
  EXPECT_EQ(parsed(" */5 * * * * ").expression(), "*/5 * * * *");
}

TEST(cron, month_end_rolls_into_next_month) {
  const cron daily = parsed("@daily");
  EXPECT_EQ(format_iso(daily.next_after(at("2026-01-31T10:00:00Z"))), "2026-02-01T00:00:00+00:00");
  EXPECT_EQ(firings(parsed("0 0 31 * *"), "2026-01-31T00:00:00Z", 3),
            (std::vector<std::string>{"2026-03-31T00:00:00+00:00", "2026-05-31T00:00:00+00:00",
                                      "2026-07-31T00:00:00+00:00"}));
  EXPECT_EQ(firings(parsed("@monthly"), "2026-01-31T23:59:59Z", 2),
            (std::vector<std::string>{"2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"}));
}

TEST(cron, leap_days) {
  const cron feb29 = parsed("0 0 29 2 *");
  EXPECT_EQ(format_iso(feb29.next_after(at("2024-01-01"))), "2024-02-29T00:00:00+00:00");
  EXPECT_EQ(format_iso(feb29.next_after(at("2024-03-01"))), "2028-02-29T00:00:00+00:00");
  EXPECT_EQ(format_iso(feb29.next_after(at("1999-03-01"))), "2000-02-29T00:00:00+00:00");
  // 2100 is not a leap year: the longest gap there is.
  EXPECT_EQ(format_iso(feb29.next_after(at("2096-02-29"))), "2104-02-29T00:00:00+00:00");
  EXPECT_EQ(format_iso(feb29.prev_before(at("2104-02-29"))), "2096-02-29T00:00:00+00:00");
  EXPECT_EQ(format_iso(feb29.prev_before(at("2104-02-28"))), "2096-02-29T00:00:00+00:00");
  EXPECT_EQ(format_iso(parsed("@daily").next_after(at("2100-02-28T12:00"))),
            "2100-03-01T00:00:00+00:00");
  EXPECT_EQ(format_iso(parsed("@daily").next_after(at("2024-02-28T12:00"))),
            "2024-02-29T00:00:00+00:00");
}

TEST(cron, year_rollover) {
  EXPECT_EQ(format_iso(parsed("@yearly").next_after(at("2026-12-31T23:59:59Z"))),
            "2027-01-01T00:00:00+00:00");
  EXPECT_EQ(format_iso(parsed("59 23 31 12 *").next_after(at("2026-12-31T23:59"))),
            "2027-12-31T23:59:00+00:00");
  EXPECT_EQ(format_iso(parsed("* * * * *").next_after(at("2026-12-31T23:59"))),
            "2027-01-01T00:00:00+00:00");
  EXPECT_EQ(format_iso(parsed("* * * * *").prev_before(at("2027-01-01T00:00"))),
            "2026-12-31T23:59:00+00:00");
  EXPECT_EQ(format_iso(parsed("@yearly").prev_before(at("2027-01-01T00:00"))),
            "2026-01-01T00:00:00+00:00");
}

TEST(cron, weekly_fires_on_sunday) {
  const cron weekly = parsed("@weekly");
  // 2026-11-24 is a Tuesday.
  EXPECT_EQ(firings(weekly, "2026-11-24T10:00:00Z", 2),
            (std::vector<std::string>{"2026-11-29T00:00:00+00:00", "2026-12-06T00:00:00+00:00"}));
  EXPECT_EQ(format_iso(weekly.prev_before(at("2026-11-24"))), "2026-11-22T00:00:00+00:00");
  EXPECT_TRUE(weekly.fires_at(at("2026-11-29")));
  // 7 is Sunday as well.
  EXPECT_EQ(firings(parsed("0 0 * * 7"), "2026-11-24", 2), firings(weekly, "2026-11-24", 2));
}

TEST(cron, vixie_or_when_both_days_restricted) {
  // The 1st and 15th, or any Monday.
  EXPECT_EQ(firings(parsed("0 0 1,15 * MON"), "2026-11-24T10:00:00Z", 6),
            (std::vector<std::string>{"2026-11-30T00:00:00+00:00", "2026-12-01T00:00:00+00:00",
                                      "2026-12-07T00:00:00+00:00", "2026-12-14T00:00:00+00:00",
                                      "2026-12-15T00:00:00+00:00", "2026-12-21T00:00:00+00:00"}));
  // An unrestricted day-of-week leaves day-of-month alone (AND with everything).
  EXPECT_EQ(firings(parsed("0 0 1,15 * *"), "2026-11-24", 2),
            (std::vector<std::string>{"2026-12-01T00:00:00+00:00", "2026-12-15T00:00:00+00:00"}));
  EXPECT_EQ(firings(parsed("0 0 ? * MON"), "2026-11-24", 2),
            (std::vector<std::string>{"2026-11-30T00:00:00+00:00", "2026-12-07T00:00:00+00:00"}));
  // */2 restricts: odd days of the month, or Mondays.
  EXPECT_EQ(firings(parsed("0 0 */2 * MON"), "2026-11-25", 4),
            (std::vector<std::string>{"2026-11-27T00:00:00+00:00", "2026-11-29T00:00:00+00:00",
                                      "2026-11-30T00:00:00+00:00", "2026-12-01T00:00:00+00:00"}));
}

TEST(cron, steps_ranges_and_names) {
  const cron business = parsed("*/15 9-17 * * MON-FRI");
  // Friday 2026-11-27, last slot of the day, then Monday morning.
  EXPECT_EQ(firings(business, "2026-11-27T17:30", 3),
            (std::vector<std::string>{"2026-11-27T17:45:00+00:00", "2026-11-30T09:00:00+00:00",
                                      "2026-11-30T09:15:00+00:00"}));
  EXPECT_EQ(firings(parsed("5/20 * * * *"), "2026-01-01T00:00", 4),
            (std::vector<std::string>{"2026-01-01T00:05:00+00:00", "2026-01-01T00:25:00+00:00",
                                      "2026-01-01T00:45:00+00:00", "2026-01-01T01:05:00+00:00"}));
  EXPECT_EQ(firings(parsed("10-30/10 3 * * *"), "2026-01-01T03:10", 3),
            (std::vector<std::string>{"2026-01-01T03:20:00+00:00", "2026-01-01T03:30:00+00:00",
                                      "2026-01-02T03:10:00+00:00"}));
  EXPECT_EQ(firings(parsed("0 12 1 jan,Jul *"), "2026-01-01T12:00", 2),
            (std::vector<std::string>{"2026-07-01T12:00:00+00:00", "2027-01-01T12:00:00+00:00"}));
  // Friday through Sunday, with 7 as Sunday.
  EXPECT_EQ(firings(parsed("0 0 * * 5-7"), "2026-11-24", 4),
            (std::vector<std::string>{"2026-11-27T00:00:00+00:00", "2026-11-28T00:00:00+00:00",
                                      "2026-11-29T00:00:00+00:00", "2026-12-04T00:00:00+00:00"}));
  EXPECT_EQ(firings(parsed("0 0 * FEB-MAR/1 sat"), "2026-02-27", 2),
            (std::vector<std::string>{"2026-02-28T00:00:00+00:00", "2026-03-07T00:00:00+00:00"}));
}

TEST(cron, seconds_are_dropped) {
  const cron minutely = parsed("* * * * *");
  const time_point t = at("2026-11-24T10:00:30.500Z");
  EXPECT_EQ(format_iso(minutely.next_after(t)), "2026-11-24T10:01:00+00:00");
  EXPECT_EQ(format_iso(minutely.prev_before(t)), "2026-11-24T10:00:00+00:00");
  EXPECT_EQ(format_iso(minutely.align_next(t)), "2026-11-24T10:01:00+00:00");
  EXPECT_EQ(format_iso(minutely.align_prev(t)), "2026-11-24T10:00:00+00:00");
  EXPECT_FALSE(minutely.fires_at(t));
  EXPECT_FALSE(minutely.fires_at(at("2026-11-24T10:00:00.001Z")));
}

TEST(cron, prev_before_mirrors_next_after) {
  const cron c = parsed("0 0 31 * *");
  EXPECT_EQ(format_iso(c.prev_before(at("2026-03-01"))), "2026-01-31T00:00:00+00:00");
  EXPECT_EQ(firings_before(parsed("*/15 9-17 * * MON-FRI"), "2026-11-30T09:00", 2),
            (std::vector<std::string>{"2026-11-27T17:45:00+00:00", "2026-11-27T17:30:00+00:00"}));
  EXPECT_EQ(firings_before(parsed("0 0 1,15 * MON"), "2026-12-15", 3),
            (std::vector<std::string>{"2026-12-14T00:00:00+00:00", "2026-12-07T00:00:00+00:00",
                                      "2026-12-01T00:00:00+00:00"}));
  for (std::string_view expr : {"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "0 0 29 2 *",
                                "*/7 1-5 */3 * TUE", "30 12 13 * FRI"}) {
    const cron x = parsed(expr);
    for (time_point t = at("2025-06-15T13:17:42Z"); t < at("2026-06-15");
         t += std::chrono::days{17}) {
      const time_point next = x.next_after(t);
      EXPECT_GT(next, t) << expr;
      EXPECT_TRUE(x.fires_at(next)) << expr;
      EXPECT_EQ(x.prev_before(next), x.align_prev(t)) << expr << " at " << format_iso(t);
      EXPECT_EQ(x.next_after(x.prev_before(next)), next) << expr;
    }
  }
}

TEST(cron, align_on_and_off_grid) {
  const cron hourly = parsed("@hourly");
  const time_point on = at("2026-11-24T10:00:00Z");
  EXPECT_TRUE(hourly.fires_at(on));
  EXPECT_EQ(hourly.align_next(on), on);
  EXPECT_EQ(hourly.align_prev(on), on);
  EXPECT_EQ(format_iso(hourly.next_after(on)), "2026-11-24T11:00:00+00:00");
  EXPECT_EQ(format_iso(hourly.prev_before(on)), "2026-11-24T09:00:00+00:00");
  const time_point off = at("2026-11-24T10:20:00Z");
  EXPECT_FALSE(hourly.fires_at(off));
  EXPECT_EQ(format_iso(hourly.align_next(off)), "2026-11-24T11:00:00+00:00");
  EXPECT_EQ(format_iso(hourly.align_prev(off)), "2026-11-24T10:00:00+00:00");
}

TEST(cron, works_before_1970) {
  EXPECT_EQ(firings(parsed("0 0 29 2 *"), "1896-01-01", 2),
            (std::vector<std::string>{"1896-02-29T00:00:00+00:00", "1904-02-29T00:00:00+00:00"}));
  EXPECT_EQ(format_iso(parsed("@weekly").prev_before(at("1970-01-01"))),
            "1969-12-28T00:00:00+00:00");
}

TEST(cron, field_errors_name_the_field) {
  EXPECT_EQ(error_of("0 25 * * *"), "cron field 2 (hour) \"25\": 25 is out of range 0-23");
  EXPECT_EQ(error_of("60 * * * *"), "cron field 1 (minute) \"60\": 60 is out of range 0-59");
  EXPECT_EQ(error_of("0 0 0 * *"), "cron field 3 (day-of-month) \"0\": 0 is out of range 1-31");
  EXPECT_EQ(error_of("0 0 * 13 *"), "cron field 4 (month) \"13\": 13 is out of range 1-12");
  EXPECT_EQ(error_of("0 0 * * 8"), "cron field 5 (day-of-week) \"8\": 8 is out of range 0-7");
  EXPECT_EQ(error_of("0 0 * * 1,99999999999"),
            "cron field 5 (day-of-week) \"1,99999999999\": 99999999999 is out of range 0-7");
  EXPECT_EQ(error_of("0 x * * *"), "cron field 2 (hour) \"x\": \"x\" is not a number");
  EXPECT_EQ(error_of("0 0 * FOO *"),
            "cron field 4 (month) \"FOO\": \"FOO\" is not a number or a month name (JAN-DEC)");
  EXPECT_EQ(error_of("0 0 * * MONDAY"),
            "cron field 5 (day-of-week) \"MONDAY\": \"MONDAY\" is not a number or a day-of-week "
            "name (SUN-SAT)");
  EXPECT_EQ(error_of("5-1 * * * *"), "cron field 1 (minute) \"5-1\": range 5-1 goes backwards");
  EXPECT_EQ(error_of("0 0 * * FRI-MON"),
            "cron field 5 (day-of-week) \"FRI-MON\": range FRI-MON goes backwards");
  EXPECT_EQ(error_of("*/0 * * * *"), "cron field 1 (minute) \"*/0\": step 0 is out of range 1-59");
  EXPECT_EQ(error_of("0 */24 * * *"), "cron field 2 (hour) \"*/24\": step 24 is out of range 1-23");
  EXPECT_EQ(error_of("*/x * * * *"), "cron field 1 (minute) \"*/x\": step \"x\" is not a number");
  EXPECT_EQ(error_of("1,,2 * * * *"), "cron field 1 (minute) \"1,,2\": empty list item");
  EXPECT_EQ(error_of("-5 * * * *"), "cron field 1 (minute) \"-5\": \"\" is not a number");
}

TEST(cron, wrong_shape_errors) {
  const std::string prefix =
      "expected five cron fields (minute hour day-of-month month day-of-week) or a preset "
      "(@hourly, @daily, @weekly, @monthly, @yearly, @once), got ";
  EXPECT_EQ(error_of("0 0 * *"), prefix + "\"0 0 * *\"");
  EXPECT_EQ(error_of("0 0 * * * *"), prefix + "\"0 0 * * * *\"");
  EXPECT_EQ(error_of(""), prefix + "\"\"");
  EXPECT_EQ(error_of("@fortnightly"), prefix + "\"@fortnightly\"");
  EXPECT_EQ(error_of("@once"), "\"@once\" is not a cron schedule: it runs once, at the start date");
}

TEST(cron, refuses_what_never_fires) {
  EXPECT_EQ(error_of("0 0 30 2 *"),
            "cron field 3 (day-of-month) \"30\": no such day in any month of field 4 (month) "
            "\"2\", so it never fires");
  EXPECT_EQ(error_of("0 0 31 4,6,9,11 *"),
            "cron field 3 (day-of-month) \"31\": no such day in any month of field 4 (month) "
            "\"4,6,9,11\", so it never fires");
  // Feb 29 fires in leap years; a restricted weekday rescues an impossible day (OR rule).
  EXPECT_TRUE(cron::parse("0 0 29 2 *").has_value());
  EXPECT_TRUE(cron::parse("0 0 30,31 2,4 *").has_value());
  EXPECT_EQ(firings(parsed("0 0 30 2 MON"), "2026-02-01", 1),
            (std::vector<std::string>{"2026-02-02T00:00:00+00:00"}));
}

TEST(cron, searches_skip_rather_than_crawl) {
  // 10 000 lookups of the rarest schedule: minute-by-minute this would take hours.
  const cron feb29 = parsed("59 23 29 2 *");
  time_point t = at("2001-01-01");
  for (int i = 0; i < 10'000; ++i) {
    const time_point next = feb29.next_after(t);
    ASSERT_LT(feb29.prev_before(next), next);
    t = i % 2 == 0 ? next : at("2001-01-01");
  }
  EXPECT_EQ(format_iso(t), "2001-01-01T00:00:00+00:00");
}

}  // namespace
}  // namespace sluice::schedule
