// Instants as the scheduler counts them: milliseconds since the Unix epoch, always UTC (sluice's
// schedules are DST-free). ISO 8601 is the only text form: what the REST API and CLI print and
// accept.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/civil_date.h"
#include "base/error.h"

namespace sluice::schedule {

using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

enum class errc {
  ok = 0,
  bad_time,      // text that is not an ISO 8601 instant or date
  bad_schedule,  // a schedule that is neither a preset nor five valid cron fields
};
std::string_view describe(errc e);
std::string_view category_name(errc);

// Milliseconds since the epoch <-> time_point.
inline time_point from_ms(int64_t ms) { return time_point{std::chrono::milliseconds{ms}}; }
inline int64_t to_ms(time_point t) { return t.time_since_epoch().count(); }

// "2026-11-24T00:00:00+00:00" (Airflow's REST form); milliseconds are added only when non-zero:
// "2026-11-24T10:00:00.250+00:00".
std::string format_iso(time_point t);

// Accepts "2026-11-24", "2026-11-24T10:00", "2026-11-24T10:00:05", "2026-11-24 10:00:05", with an
// optional fraction (up to 9 digits, truncated to milliseconds) and an optional zone: "Z",
// "+00:00", "+0000", "+02:00" (converted to UTC). Years 1..9999. Anything else is bad_time with
// the text quoted in the message.
result<time_point> parse_iso(std::string_view text);

// Calendar fields of an instant in UTC.
struct civil {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millisecond = 0;
  int weekday = 4;  // 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday)
};
civil to_civil(time_point t);
// The instant of the given fields (which must be in range; day may not exceed the month's length).
time_point from_civil(int64_t year, int month, int day, int hour = 0, int minute = 0,
                      int second = 0);
// days_in_month and the civil-date algorithms: base/civil_date.h.

}  // namespace sluice::schedule
