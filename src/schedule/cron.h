// Cron expressions: five fields (minute hour day-of-month month day-of-week), evaluated in UTC.
//
// Each field takes `*` (or `?`), a value, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from a to
// the field's maximum), and comma-separated lists of these. Months take JAN..DEC, weekdays SUN..SAT
// (case-insensitive); weekday 7 is Sunday too. As in Vixie cron (and Airflow's croniter), when both
// day-of-month and day-of-week are restricted a day matches if either matches; otherwise both must.
// Presets: @hourly, @daily (@midnight), @weekly, @monthly, @yearly (@annually).
// An expression that can never fire (`0 0 30 2 *`) is refused at parse time.
// Thread-safety: immutable after parse.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "schedule/time.h"

namespace sluice::schedule {

class cron {
 public:
  // Errors are errc::bad_schedule naming the field and the problem:
  // "cron field 2 (hour) \"25\": 25 is out of range 0-23".
  static result<cron> parse(std::string_view text);

  // The first firing time strictly after t (seconds and milliseconds of t are dropped first:
  // firing times are whole minutes).
  [[nodiscard]] time_point next_after(time_point t) const;
  // The last firing time strictly before t.
  [[nodiscard]] time_point prev_before(time_point t) const;
  // t itself if it is a firing time, else next_after(t) / prev_before(t).
  [[nodiscard]] time_point align_next(time_point t) const;
  [[nodiscard]] time_point align_prev(time_point t) const;
  [[nodiscard]] bool fires_at(time_point t) const;

  // The text it was parsed from, presets expanded ("@daily" -> "0 0 * * *").
  [[nodiscard]] const std::string& expression() const { return text_; }

 private:
  // Refuses a day-of-month that no allowed month has (and no weekday rescues): `0 0 30 2 *`.
  [[nodiscard]] result<void> check_satisfiable(std::string_view days,
                                               std::string_view months) const;
  // The day-of-month / day-of-week test, with Vixie cron's OR when both are restricted.
  [[nodiscard]] bool day_matches(int64_t year, int month, int day) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> weekdays_;
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace sluice::schedule
