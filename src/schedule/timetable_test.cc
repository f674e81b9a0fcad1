#include "schedule/timetable.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace sluice::schedule {

void PrintTo(const data_interval& i, std::ostream* os) {
  *os << "[" << format_iso(i.start) << ", " << format_iso(i.end) << ")";
}

namespace {

time_point at(std::string_view iso) {
  auto t = parse_iso(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t.value_or(time_point{});
}

timetable parsed(std::string_view text) {
  auto t = timetable::parse(text);
  EXPECT_TRUE(t.has_value()) << text << ": " << (t ? "" : t.error().message);
  return t ? *t : timetable{};
}

data_interval interval(std::string_view start, std::string_view end) {
  return {at(start), at(end)};
}

TEST(timetable, parse_kinds) {
  EXPECT_EQ(parsed("").type(), timetable::kind::manual);
  EXPECT_EQ(parsed("  ").type(), timetable::kind::manual);
  EXPECT_EQ(parsed("@once").type(), timetable::kind::once);
  const timetable daily = parsed("@daily");
  EXPECT_EQ(daily.type(), timetable::kind::cron);
  EXPECT_EQ(daily.text(), "@daily");
  EXPECT_EQ(parsed("0 */2 * * *").text(), "0 */2 * * *");
  auto bad = timetable::parse("0 25 * * *");
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(is(bad.error(), errc::bad_schedule));
  EXPECT_EQ(bad.error().message, "cron field 2 (hour) \"25\": 25 is out of range 0-23");
  EXPECT_FALSE(timetable::parse("@sometimes").has_value());
}

TEST(timetable, catchup_starts_at_start_date) {
  const timetable daily = parsed("@daily");
  EXPECT_EQ(daily.next(std::nullopt, at("2026-01-01"), true, at("2026-01-10T12:00")),
            interval("2026-01-01", "2026-01-02"));
}

TEST(timetable, catchup_aligns_an_off_grid_start_date_forward) {
  const timetable daily = parsed("@daily");
  EXPECT_EQ(daily.next(std::nullopt, at("2026-01-01T06:30"), true, at("2026-01-10T12:00")),
            interval("2026-01-02", "2026-01-03"));
  EXPECT_EQ(
      parsed("0 */6 * * *").next(std::nullopt, at("2026-01-01T06:30"), true, at("2026-02-01")),
      interval("2026-01-01T12:00", "2026-01-01T18:00"));
}

TEST(timetable, catchup_follows_the_last_run) {
  const timetable daily = parsed("@daily");
  const data_interval last = interval("2026-01-03", "2026-01-04");
  EXPECT_EQ(daily.next(last, at("2026-01-01"), true, at("2026-01-10T12:00")),
            interval("2026-01-04", "2026-01-05"));
  // Even when `now` has not reached it: the caller decides when a run is due.
  EXPECT_EQ(daily.next(last, at("2026-01-01"), true, at("2026-01-03T12:00")),
            interval("2026-01-04", "2026-01-05"));
}

TEST(timetable, catchup_off_takes_the_latest_complete_interval) {
  const timetable daily = parsed("@daily");
  EXPECT_EQ(daily.next(std::nullopt, at("2026-01-01"), false, at("2026-01-10T12:00")),
            interval("2026-01-09", "2026-01-10"));
  // Exactly on a boundary, the interval that ends now is complete.
  EXPECT_EQ(daily.next(std::nullopt, at("2026-01-01"), false, at("2026-01-10")),
            interval("2026-01-09", "2026-01-10"));
  const timetable hourly = parsed("@hourly");
  EXPECT_EQ(hourly.next(std::nullopt, at("2026-01-01"), false, at("2026-01-10T12:59:59")),
            interval("2026-01-10T11:00", "2026-01-10T12:00"));
}

TEST(timetable, catchup_off_never_starts_before_start_date) {
  const timetable daily = parsed("@daily");
  EXPECT_EQ(daily.next(std::nullopt, at("2026-01-09T12:00"), false, at("2026-01-10T12:00")),
            interval("2026-01-10", "2026-01-11"));
  EXPECT_EQ(daily.next(std::nullopt, at("2026-03-01"), false, at("2026-01-10T12:00")),
            interval("2026-03-01", "2026-03-02"));
}

TEST(timetable, catchup_off_skips_missed_intervals_after_the_last_run) {
  const timetable daily = parsed("@daily");
  EXPECT_EQ(daily.next(interval("2026-01-02", "2026-01-03"), at("2026-01-01"), false,
                       at("2026-01-10T12:00")),
            interval("2026-01-09", "2026-01-10"));
  // When the last run is the latest complete one, the next follows it.
  EXPECT_EQ(daily.next(interval("2026-01-09", "2026-01-10"), at("2026-01-01"), false,
                       at("2026-01-10T12:00")),
            interval("2026-01-10", "2026-01-11"));
}

TEST(timetable, last_run_off_the_grid_realigns) {
  // The schedule changed since the last run, whose interval ended off the new grid (01:00).
  const timetable six = parsed("0 */6 * * *");
  EXPECT_EQ(six.next(interval("2026-01-01T01:00", "2026-01-02T01:00"), at("2026-01-01"), true,
                     at("2026-02-01")),
            interval("2026-01-02T00:00", "2026-01-02T06:00"));
}

TEST(timetable, once_runs_once_at_start_date) {
  const timetable once = parsed("@once");
  const time_point start = at("2026-11-24T10:30:00Z");
  EXPECT_EQ(once.next(std::nullopt, start, true, at("2026-01-01")), (data_interval{start, start}));
  EXPECT_EQ(once.next(std::nullopt, start, false, at("2027-01-01")), (data_interval{start, start}));
  EXPECT_EQ(once.next(data_interval{start, start}, start, true, at("2027-01-01")), std::nullopt);
}

TEST(timetable, manual_never_schedules) {
  const timetable manual = parsed("");
  EXPECT_EQ(manual.next(std::nullopt, at("2026-01-01"), true, at("2027-01-01")), std::nullopt);
  EXPECT_EQ(
      manual.next(interval("2026-01-01", "2026-01-01"), at("2026-01-01"), false, at("2027-01-01")),
      std::nullopt);
}

TEST(timetable, manual_interval) {
  const timetable daily = parsed("@daily");
  EXPECT_EQ(daily.manual_interval(at("2026-01-25T01:00")), interval("2026-01-24", "2026-01-25"));
  EXPECT_EQ(daily.manual_interval(at("2026-01-25")), interval("2026-01-24", "2026-01-25"));
  EXPECT_EQ(parsed("@hourly").manual_interval(at("2026-01-01T00:30")),
            interval("2025-12-31T23:00", "2026-01-01T00:00"));
  const time_point t = at("2026-01-25T01:02:03.456Z");
  EXPECT_EQ(parsed("@once").manual_interval(t), (data_interval{t, t}));
  EXPECT_EQ(parsed("").manual_interval(t), (data_interval{t, t}));
}

TEST(timetable, intervals_between) {
  const timetable daily = parsed("@daily");
  auto days = daily.intervals_between(at("2026-01-01"), at("2026-01-10"), 1000);
  ASSERT_EQ(days.size(), 10u);
  EXPECT_EQ(days.front(), interval("2026-01-01", "2026-01-02"));
  EXPECT_EQ(days.back(), interval("2026-01-10", "2026-01-11"));
  for (size_t i = 1; i < days.size(); ++i) EXPECT_EQ(days[i].start, days[i - 1].end);

  // Off-grid bounds: starts in [01-01T06:00, 01-10T12:00] are 01-02 .. 01-10.
  days = daily.intervals_between(at("2026-01-01T06:00"), at("2026-01-10T12:00"), 1000);
  ASSERT_EQ(days.size(), 9u);
  EXPECT_EQ(days.front(), interval("2026-01-02", "2026-01-03"));

  EXPECT_EQ(daily.intervals_between(at("2026-01-01"), at("2026-01-10"), 3).size(), 3u);
  EXPECT_EQ(daily.intervals_between(at("2026-01-01"), at("2026-01-10"), 0).size(), 0u);
  EXPECT_TRUE(daily.intervals_between(at("2026-01-10"), at("2026-01-01"), 10).empty());
  EXPECT_EQ(parsed("@hourly").intervals_between(at("2026-01-01"), at("2026-01-02"), 1000).size(),
            25u);
  EXPECT_EQ(parsed("@monthly").intervals_between(at("2024-01-01"), at("2024-12-31"), 100).size(),
            12u);
  EXPECT_TRUE(parsed("@once").intervals_between(at("2026-01-01"), at("2026-02-01"), 10).empty());
  EXPECT_TRUE(parsed("").intervals_between(at("2026-01-01"), at("2026-02-01"), 10).empty());
}

}  // namespace
}  // namespace sluice::schedule
