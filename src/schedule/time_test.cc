#include "schedule/time.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::schedule {
namespace {

constexpr int64_t ms_2026_11_24_10 = 1'795'514'400'000;  // 2026-11-24T10:00:00Z

std::string error_of(std::string_view text) {
  auto r = parse_iso(text);
  if (r) return "parsed as " + format_iso(*r);
  EXPECT_TRUE(is(r.error(), errc::bad_time));
  return r.error().message;
}

TEST(schedule_time, from_civil_known_instants) {
  EXPECT_EQ(to_ms(from_civil(1970, 1, 1)), 0);
  EXPECT_EQ(to_ms(from_civil(2026, 11, 24, 10)), ms_2026_11_24_10);
  EXPECT_EQ(to_ms(from_civil(1, 1, 1)), -62'135'596'800'000);
  EXPECT_EQ(to_ms(from_civil(9999, 12, 31, 23, 59, 59)), 253'402'300'799'000);
  EXPECT_EQ(to_ms(from_civil(1900, 3, 1)), -2'203'891'200'000);
}

TEST(schedule_time, to_civil_fields_and_weekday) {
  const civil c = to_civil(from_ms(ms_2026_11_24_10 + 5'250));
  EXPECT_EQ(c.year, 2026);
  EXPECT_EQ(c.month, 11);
  EXPECT_EQ(c.day, 24);
  EXPECT_EQ(c.hour, 10);
  EXPECT_EQ(c.minute, 0);
  EXPECT_EQ(c.second, 5);
  EXPECT_EQ(c.millisecond, 250);
  EXPECT_EQ(c.weekday, 2);  // Tuesday
  EXPECT_EQ(to_civil(from_ms(0)).weekday, 4);
}

TEST(schedule_time, to_civil_before_epoch) {
  const civil c = to_civil(from_ms(-1));
  EXPECT_EQ(c.year, 1969);
  EXPECT_EQ(c.month, 12);
  EXPECT_EQ(c.day, 31);
  EXPECT_EQ(c.hour, 23);
  EXPECT_EQ(c.minute, 59);
  EXPECT_EQ(c.second, 59);
  EXPECT_EQ(c.millisecond, 999);
  EXPECT_EQ(c.weekday, 3);  // Wednesday
}

TEST(schedule_time, format_iso) {
  EXPECT_EQ(format_iso(from_ms(0)), "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(format_iso(from_ms(ms_2026_11_24_10)), "2026-11-24T10:00:00+00:00");
  EXPECT_EQ(format_iso(from_ms(ms_2026_11_24_10 + 250)), "2026-11-24T10:00:00.250+00:00");
  EXPECT_EQ(format_iso(from_ms(-1)), "1969-12-31T23:59:59.999+00:00");
  EXPECT_EQ(format_iso(from_civil(9999, 12, 31, 23, 59, 59)), "9999-12-31T23:59:59+00:00");
  EXPECT_EQ(format_iso(from_civil(1, 1, 1)), "0001-01-01T00:00:00+00:00");
}

TEST(schedule_time, parse_iso_forms) {
  const int64_t t = ms_2026_11_24_10;
  EXPECT_EQ(to_ms(parse_iso("2026-11-24").value()), t - 10 * 3'600'000);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00").value()), t);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00:05").value()), t + 5'000);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24 10:00:05").value()), t + 5'000);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00:00Z").value()), t);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00:00+00:00").value()), t);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00:00+0000").value()), t);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00+00:00").value()), t);
}

TEST(schedule_time, parse_iso_fractions_truncate_to_ms) {
  const int64_t t = ms_2026_11_24_10;
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00:00.250Z").value()), t + 250);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00:00.5").value()), t + 500);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00:00,25").value()), t + 250);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00:00.123456789+00:00").value()), t + 123);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T10:00:00.999999").value()), t + 999);
}

TEST(schedule_time, parse_iso_converts_offsets_to_utc) {
  const int64_t t = ms_2026_11_24_10;
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T12:00:00+02:00").value()), t);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T12:00:00+0200").value()), t);
  EXPECT_EQ(to_ms(parse_iso("2026-11-24T04:30:00-05:30").value()), t);
  EXPECT_EQ(format_iso(parse_iso("2026-01-01T01:00:00+02:00").value()),
            "2025-12-31T23:00:00+00:00");
}

TEST(schedule_time, parse_iso_errors_quote_the_text) {
  const std::string prefix = "expected an ISO 8601 time such as 2026-11-24T10:00:00Z, got ";
  EXPECT_EQ(error_of("xyz"), prefix + "\"xyz\"");
  EXPECT_EQ(error_of(""), prefix + "\"\"");
  EXPECT_EQ(error_of("2026-13-01"), prefix + "\"2026-13-01\": month 13 is out of range 1-12");
  EXPECT_EQ(error_of("2026-00-01"), prefix + "\"2026-00-01\": month 0 is out of range 1-12");
  EXPECT_EQ(error_of("2026-04-31"),
            prefix + "\"2026-04-31\": day 31 is out of range 1-30 for 2026-04");
  EXPECT_EQ(error_of("2026-02-29"),
            prefix + "\"2026-02-29\": day 29 is out of range 1-28 for 2026-02");
  EXPECT_EQ(error_of("2026-11-24T24:00"),
            prefix + "\"2026-11-24T24:00\": hour 24 is out of range 0-23");
  EXPECT_EQ(error_of("2026-11-24T10:60"),
            prefix + "\"2026-11-24T10:60\": minute 60 is out of range 0-59");
  EXPECT_EQ(error_of("2026-11-24T10:00:60"),
            prefix + "\"2026-11-24T10:00:60\": second 60 is out of range 0-59");
  EXPECT_EQ(error_of("0000-01-01"), prefix + "\"0000-01-01\": year 0 is out of range 1-9999");
  EXPECT_EQ(error_of("2026-11-24T10:00:00Zjunk"), prefix + "\"2026-11-24T10:00:00Zjunk\"");
}

TEST(schedule_time, parse_iso_rejects_malformed_syntax) {
  for (const char* text :
       {"2026-11-24 ", " 2026-11-24", "2026-1-24", "26-11-24", "2026/11/24", "2026-11-24T",
        "2026-11-24T10", "2026-11-24T10:0", "2026-11-24Z", "2026-11-24T10:00:00.",
        "2026-11-24T10:00.5", "2026-11-24T10:00:00.1234567890", "2026-11-24T10:00:00+2",
        "2026-11-24T10:00:00+24:00", "2026-11-24T10:00:00+02:60", "2026-11-24T10:00:00 Z",
        "2026-11-24x10:00", "-2026-11-24", "+2026-11-24"}) {
    EXPECT_FALSE(parse_iso(text).has_value()) << text;
  }
}

TEST(schedule_time, format_parse_round_trip) {
  for (int64_t ms :
       {int64_t{0}, int64_t{-1}, int64_t{1}, ms_2026_11_24_10, ms_2026_11_24_10 + 1,
        int64_t{-86'400'000}, int64_t{-86'400'001}, int64_t{-2'203'891'200'000},
        int64_t{-62'135'596'800'000}, int64_t{253'402'300'799'999}, int64_t{951'782'400'000}}) {
    const std::string text = format_iso(from_ms(ms));
    auto back = parse_iso(text);
    ASSERT_TRUE(back.has_value()) << text << ": " << back.error().message;
    EXPECT_EQ(to_ms(*back), ms) << text;
  }
  // Every day across 1969..1971 and around the 2000 and 2100 leap rules.
  for (int64_t start : {int64_t{1968}, int64_t{1999}, int64_t{2099}}) {
    for (time_point t = from_civil(start, 1, 1); t < from_civil(start + 3, 1, 1);
         t += std::chrono::hours{24} + std::chrono::milliseconds{1}) {
      EXPECT_EQ(parse_iso(format_iso(t)).value(), t);
    }
  }
}

TEST(schedule_time, error_category) {
  auto r = parse_iso("nope");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().to_string().rfind("schedule: ", 0), 0u);
  EXPECT_EQ(describe(errc::bad_schedule), "bad schedule");
}

}  // namespace
}  // namespace sluice::schedule
