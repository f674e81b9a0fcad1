#include "schedule/cron.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace sluice::schedule {
namespace {

using namespace std::chrono_literals;

constexpr std::array<std::string_view, 12> month_names = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> weekday_names = {"SUN", "MON", "TUE", "WED",
                                                           "THU", "FRI", "SAT"};

struct field_spec {
  int number;  // 1-based position, as error messages count
  std::string_view name;
  int lo, hi;   // the values a user may write (day-of-week: 0-7, 7 being Sunday again)
  int star_hi;  // what `*` spans: day-of-week stops at 6 so that `*/n` does not wrap into 7
  std::span<const std::string_view> names;  // names[i] stands for lo + i
};

constexpr std::array<field_spec, 5> specs = {{
    {1, "minute", 0, 59, 59, {}},
    {2, "hour", 0, 23, 23, {}},
    {3, "day-of-month", 1, 31, 31, {}},
    {4, "month", 1, 12, 12, month_names},
    {5, "day-of-week", 0, 7, 6, weekday_names},
}};

constexpr std::string_view bad_count_prefix =
    "expected five cron fields (minute hour day-of-month month day-of-week) or a preset (@hourly, "
    "@daily, @weekly, @monthly, @yearly, @once), got ";

// A schedule whose next match is further away than this does not exist: the longest gap between
// two firings of any satisfiable expression is Feb 29 across 2100 (2096 -> 2104), eight years.
constexpr int64_t search_years = 9;

std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string_view> split(std::string_view s, std::string_view separators,
                                    bool skip_empty) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find_first_of(separators, start), s.size());
    if (!skip_empty || end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'a' && a[i] <= 'z') ? static_cast<char>(a[i] - 'a' + 'A') : a[i];
    if (c != b[i]) return false;
  }
  return true;
}

std::optional<std::string_view> expand_preset(std::string_view text) {
  if (text == "@hourly") return "0 * * * *";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  return std::nullopt;
}

// Parses one field (`text`, the whole comma-separated field) into a bit mask of its values.
class field_parser {
 public:
  field_parser(const field_spec& spec, std::string_view text) : spec_(spec), text_(text) {}

  result<uint64_t> parse() {
    uint64_t mask = 0;
    for (std::string_view item : split(text_, ",", false)) {
      mask |= SLUICE_TRY(parse_item(item));
    }
    return mask;
  }

 private:
  std::unexpected<error> fail(std::string_view problem) const {
    return make_error(errc::bad_schedule, fmt::format("cron field {} ({}) \"{}\": {}", spec_.number,
                                                      spec_.name, text_, problem));
  }

  result<int> value(std::string_view token) const {
    for (size_t i = 0; i < spec_.names.size(); ++i) {
      if (iequals(token, spec_.names[i])) return spec_.lo + static_cast<int>(i);
    }
    int v = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
    const bool all_digits = !token.empty() && token.find_first_not_of("0123456789") == token.npos;
    if (!all_digits || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      if (spec_.names.empty()) return fail(fmt::format("\"{}\" is not a number", token));
      return fail(fmt::format("\"{}\" is not a number or a {} name ({}-{})", token, spec_.name,
                              spec_.names.front(), spec_.names.back()));
    }
    if (ec == std::errc::result_out_of_range || v < spec_.lo || v > spec_.hi) {
      return fail(fmt::format("{} is out of range {}-{}", token, spec_.lo, spec_.hi));
    }
    return v;
  }

  result<int> step(std::string_view token) const {
    int n = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
    const bool all_digits = !token.empty() && token.find_first_not_of("0123456789") == token.npos;
    if (!all_digits) return fail(fmt::format("step \"{}\" is not a number", token));
    if (ec != std::errc() || n < 1 || n > spec_.hi) {
      return fail(fmt::format("step {} is out of range 1-{}", token, spec_.hi));
    }
    return n;
  }

  result<uint64_t> parse_item(std::string_view item) const {
    if (item.empty()) return fail("empty list item");
    const size_t slash = item.find('/');
    const std::string_view base = item.substr(0, slash);
    const bool stepped = slash != std::string_view::npos;
    int lo = spec_.lo, hi = spec_.star_hi;
    if (base != "*" && base != "?") {
      const size_t dash = base.find('-');
      lo = SLUICE_TRY(value(base.substr(0, dash)));
      if (dash != std::string_view::npos) {
        hi = SLUICE_TRY(value(base.substr(dash + 1)));
        if (lo > hi) return fail(fmt::format("range {} goes backwards", base));
      } else if (!stepped) {
        hi = lo;
      } else {
        hi = std::max(lo, spec_.star_hi);  // `a/n`: from a to the field's maximum
      }
    }
    const int n = stepped ? SLUICE_TRY(step(item.substr(slash + 1))) : 1;
    uint64_t mask = 0;
    for (int v = lo; v <= hi; v += n) mask |= uint64_t{1} << v;
    return mask;
  }

  const field_spec& spec_;
  std::string_view text_;
};

// A position in the calendar, minute resolution; the search walks it instead of time_points so
// that skipping a month or a day is one step.
struct cursor {
  int64_t year;
  int month, day, hour, minute;
};

cursor cursor_of(time_point t) {
  const civil c = to_civil(t);
  return {c.year, c.month, c.day, c.hour, c.minute};
}

int weekday_of(const cursor& k) {
  const int64_t days = to_ms(from_civil(k.year, k.month, k.day)) / 86'400'000;
  return static_cast<int>(((days + 4) % 7 + 7) % 7);
}

// The first set bit at or after `from` / the last at or before it; -1 when there is none.
template <size_t N>
int first_from(const std::bitset<N>& bits, int from) {
  for (int i = std::max(from, 0); i < static_cast<int>(N); ++i) {
    if (bits[i]) return i;
  }
  return -1;
}
template <size_t N>
int last_from(const std::bitset<N>& bits, int from) {
  for (int i = std::min(from, static_cast<int>(N) - 1); i >= 0; --i) {
    if (bits[i]) return i;
  }
  return -1;
}

void start_of_next_day(cursor& k) {
  k.hour = k.minute = 0;
  if (++k.day <= days_in_month(k.year, k.month)) return;
  k.day = 1;
  if (++k.month <= 12) return;
  k.month = 1;
  ++k.year;
}

void end_of_previous_day(cursor& k) {
  k.hour = 23;
  k.minute = 59;
  if (--k.day >= 1) return;
  if (--k.month < 1) {
    k.month = 12;
    --k.year;
  }
  k.day = days_in_month(k.year, k.month);
}

}  // namespace

result<cron> cron::parse(std::string_view text) {
  const std::string_view trimmed = trim(text);
  std::string_view expression = trimmed;
  if (trimmed == "@once") {
    return make_error(errc::bad_schedule,
                      "\"@once\" is not a cron schedule: it runs once, at the start date");
  }
  if (auto preset = expand_preset(trimmed)) expression = *preset;
  const std::vector<std::string_view> fields = split(expression, " \t", true);
  if (fields.size() != specs.size()) {
    return make_error(errc::bad_schedule, fmt::format("{}\"{}\"", bad_count_prefix, text));
  }
  uint64_t masks[5];
  for (size_t i = 0; i < specs.size(); ++i) {
    masks[i] = SLUICE_TRY(field_parser(specs[i], fields[i]).parse());
  }
  cron c;
  c.text_ = std::string(expression);
  c.minutes_ = std::bitset<60>(masks[0]);
  c.hours_ = std::bitset<24>(masks[1]);
  c.days_ = std::bitset<32>(masks[2]);
  c.months_ = std::bitset<13>(masks[3]);
  c.weekdays_ = std::bitset<7>(masks[4] | (masks[4] >> 7));  // 7 is Sunday, as 0
  auto restricted = [](std::string_view f) { return f != "*" && f != "?"; };
  c.days_restricted_ = restricted(fields[2]);
  c.weekdays_restricted_ = restricted(fields[4]);
  SLUICE_TRY(c.check_satisfiable(fields[2], fields[3]));
  return c;
}

result<void> cron::check_satisfiable(std::string_view days, std::string_view months) const {
  // With day-of-week restricted, some day of every week matches (either alone, or ORed with the
  // days of the month); only a day-of-month filtered by unrestricted weekdays can miss entirely.
  if (weekdays_restricted_) return {};
  for (int m = 1; m <= 12; ++m) {
    if (!months_[m]) continue;
    const int longest = m == 2 ? 29 : days_in_month(2001, m);  // Feb 29 fires in leap years
    if (first_from(days_, 1) <= longest) return {};
  }
  return make_error(errc::bad_schedule,
                    fmt::format("cron field 3 (day-of-month) \"{}\": no such day in any month of "
                                "field 4 (month) \"{}\", so it never fires",
                                days, months));
}

bool cron::day_matches(int64_t year, int month, int day) const {
  const bool by_day = days_[day];
  const bool by_weekday = weekdays_[weekday_of({year, month, day, 0, 0})];
  if (days_restricted_ && weekdays_restricted_) return by_day || by_weekday;
  return by_day && by_weekday;
}

bool cron::fires_at(time_point t) const {
  if (std::chrono::floor<std::chrono::minutes>(t) != t) return false;
  const cursor k = cursor_of(t);
  return months_[k.month] && day_matches(k.year, k.month, k.day) && hours_[k.hour] &&
         minutes_[k.minute];
}

time_point cron::next_after(time_point t) const {
  cursor k = cursor_of(std::chrono::floor<std::chrono::minutes>(t) + 1min);
  const int64_t last_year = k.year + search_years;
  while (k.year <= last_year) {
    if (!months_[k.month]) {
      const int m = first_from(months_, k.month + 1);
      k = m > 0 ? cursor{k.year, m, 1, 0, 0} : cursor{k.year + 1, first_from(months_, 1), 1, 0, 0};
      continue;
    }
    if (!day_matches(k.year, k.month, k.day)) {
      start_of_next_day(k);
      continue;
    }
    const int h = first_from(hours_, k.hour);
    if (h < 0) {
      start_of_next_day(k);
      continue;
    }
    if (h != k.hour) k.hour = h, k.minute = 0;
    const int m = first_from(minutes_, k.minute);
    if (m < 0) {
      k.minute = 0;
      if (++k.hour == 24) start_of_next_day(k);
      continue;
    }
    return from_civil(k.year, k.month, k.day, k.hour, m);
  }
  return time_point::max();  // unreachable for a parsed expression: parse refuses the rest
}

time_point cron::prev_before(time_point t) const {
  cursor k = cursor_of(std::chrono::ceil<std::chrono::minutes>(t) - 1min);
  const int64_t first_year = k.year - search_years;
  while (k.year >= first_year) {
    if (!months_[k.month]) {
      const int m = last_from(months_, k.month - 1);
      k = m > 0 ? cursor{k.year, m, 0, 23, 59}
                : cursor{k.year - 1, last_from(months_, 12), 0, 23, 59};
      k.day = days_in_month(k.year, k.month);
      continue;
    }
    if (!day_matches(k.year, k.month, k.day)) {
      end_of_previous_day(k);
      continue;
    }
    const int h = last_from(hours_, k.hour);
    if (h < 0) {
      end_of_previous_day(k);
      continue;
    }
    if (h != k.hour) k.hour = h, k.minute = 59;
    const int m = last_from(minutes_, k.minute);
    if (m < 0) {
      k.minute = 59;
      if (--k.hour < 0) end_of_previous_day(k);
      continue;
    }
    return from_civil(k.year, k.month, k.day, k.hour, m);
  }
  return time_point::min();  // unreachable for a parsed expression: parse refuses the rest
}

time_point cron::align_next(time_point t) const { return fires_at(t) ? t : next_after(t); }
time_point cron::align_prev(time_point t) const { return fires_at(t) ? t : prev_before(t); }

}  // namespace sluice::schedule
