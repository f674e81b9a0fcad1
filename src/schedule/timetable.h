// When a DAG's runs happen, with Airflow's data-interval semantics.
//
// A scheduled run covers a data interval [start, end) and fires once the interval has ended: the
// @daily run for 2026-11-23 (logical date 2026-11-23T00:00) fires at 2026-11-24T00:00. With catchup
// every interval from the start date on gets a run; without it only the latest complete interval
// (and those after it) does, never one starting before the start date. `@once` has one run, at the
// start date, whose interval is that instant. No schedule: manual runs only.
// Thread-safety: immutable after parse.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "schedule/cron.h"
#include "schedule/time.h"

namespace sluice::schedule {

struct data_interval {
  time_point start;
  time_point end;
  bool operator==(const data_interval&) const = default;
};

class timetable {
 public:
  enum class kind { manual, once, cron };

  // "" -> manual; "@once" -> once; a preset or five cron fields -> cron. Errors: bad_schedule.
  static result<timetable> parse(std::string_view schedule);

  [[nodiscard]] kind type() const { return kind_; }
  // "@daily" / "0 */2 * * *" / "@once" / "" as written (for display).
  [[nodiscard]] const std::string& text() const { return text_; }

  // The next scheduled run after the latest one (`last`, nullopt before the first), as Airflow's
  // next_dagrun_info: with catchup, the interval following `last` (or the first at or after
  // start_date); without, the later of that and the latest interval complete at `now`. Nullopt when
  // there is none (manual; once, after its run). The run is due when its end <= now (for once: its
  // start); the caller checks that.
  [[nodiscard]] std::optional<data_interval> next(std::optional<data_interval> last,
                                                  time_point start_date, bool catchup,
                                                  time_point now) const;

  // The data interval of a run triggered by hand at `run_after`: for cron, the latest complete
  // interval ([prev, end) with end = align_prev(run_after)); otherwise [run_after, run_after].
  [[nodiscard]] data_interval manual_interval(time_point run_after) const;

  // Every cron interval whose start lies in [from, to] (both aligned to firing times), in order, at
  // most `limit` of them (a backfill of a minutely DAG over years is refused by the caller).
  // Manual and once timetables have no intervals to backfill: an empty vector.
  [[nodiscard]] std::vector<data_interval> intervals_between(time_point from, time_point to,
                                                             size_t limit) const;

 private:
  kind kind_ = kind::manual;
  std::string text_;
  std::optional<cron> cron_;
};

}  // namespace sluice::schedule
