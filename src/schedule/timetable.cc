#include "schedule/timetable.h"

#include <algorithm>

namespace sluice::schedule {
namespace {

std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// The start of the latest interval that is complete at `now` (its end <= now): Airflow's
// _skip_to_latest without the start-date bound.
time_point latest_complete_start(const cron& c, time_point now) {
  return c.prev_before(c.align_prev(now));
}

}  // namespace

result<timetable> timetable::parse(std::string_view schedule) {
  timetable t;
  t.text_ = std::string(schedule);
  const std::string_view trimmed = trim(schedule);
  if (trimmed.empty()) return t;
  if (trimmed == "@once") {
    t.kind_ = kind::once;
    return t;
  }
  t.cron_ = SLUICE_TRY(cron::parse(schedule));
  t.kind_ = kind::cron;
  return t;
}

std::optional<data_interval> timetable::next(std::optional<data_interval> last,
                                             time_point start_date, bool catchup,
                                             time_point now) const {
  switch (kind_) {
    case kind::manual: return std::nullopt;
    case kind::once:
      if (last) return std::nullopt;
      return data_interval{start_date, start_date};
    case kind::cron: break;
  }
  // As Airflow's CronDataIntervalTimetable.next_dagrun_info: the earliest start allowed is the
  // first firing at or after start_date, moved up to the latest complete interval without catchup.
  time_point earliest = cron_->align_next(start_date);
  if (!catchup) earliest = std::max(earliest, latest_complete_start(*cron_, now));
  // After a run, continue where its interval ended (aligned back onto the grid in case the
  // schedule changed since), unless that is before the earliest allowed start.
  const time_point start = last ? std::max(cron_->align_prev(last->end), earliest) : earliest;
  return data_interval{start, cron_->next_after(start)};
}

data_interval timetable::manual_interval(time_point run_after) const {
  if (kind_ != kind::cron) return {run_after, run_after};
  const time_point end = cron_->align_prev(run_after);
  return {cron_->prev_before(end), end};
}

std::vector<data_interval> timetable::intervals_between(time_point from, time_point to,
                                                        size_t limit) const {
  std::vector<data_interval> out;
  if (kind_ != kind::cron) return out;
  for (time_point s = cron_->align_next(from); s <= to && out.size() < limit;) {
    const time_point e = cron_->next_after(s);
    out.push_back({s, e});
    s = e;
  }
  return out;
}

}  // namespace sluice::schedule
