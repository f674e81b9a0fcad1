#include "schedule/time.h"

#include <fmt/format.h>

#include <optional>

#include "base/civil_date.h"

namespace sluice::schedule {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::bad_time: return "bad time";
    case errc::bad_schedule: return "bad schedule";
  }
  return "unknown error";
}

std::string_view category_name(errc) { return "schedule"; }

namespace {

constexpr int64_t ms_per_day = 86'400'000;

// Division and remainder rounding toward negative infinity, so that instants before 1970 land on
// the day (and millisecond) they belong to rather than the one after.
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

// A cursor over the ISO text; every reader either consumes what it expects or leaves pos alone.
class iso_reader {
 public:
  explicit iso_reader(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  bool accept(char c) {
    if (at_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  std::optional<char> accept_any(std::string_view set) {
    if (at_end() || set.find(text_[pos_]) == std::string_view::npos) return std::nullopt;
    return text_[pos_++];
  }
  // Exactly n decimal digits.
  std::optional<int> digits(size_t n) {
    if (text_.size() - pos_ < n) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    return v;
  }
  // 1..9 digits of a decimal fraction, truncated to milliseconds.
  std::optional<int> fraction_ms() {
    int ms = 0;
    size_t n = 0;
    while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (n < 3) ms = ms * 10 + (text_[pos_] - '0');
      ++n;
      ++pos_;
    }
    if (n == 0 || n > 9) return std::nullopt;
    for (; n < 3; ++n) ms *= 10;
    return ms;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

struct parsed_iso {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, ms = 0;
  int offset_minutes = 0;  // east of UTC
};

// The syntax alone; ranges are checked by the caller so that it can say which one is off.
std::optional<parsed_iso> read_iso(std::string_view text) {
  iso_reader r(text);
  parsed_iso p;
  auto year = r.digits(4);
  if (!year || !r.accept('-')) return std::nullopt;
  auto month = r.digits(2);
  if (!month || !r.accept('-')) return std::nullopt;
  auto day = r.digits(2);
  if (!day) return std::nullopt;
  p.year = *year, p.month = *month, p.day = *day;
  if (r.at_end()) return p;

  if (!r.accept_any("T ")) return std::nullopt;
  auto hour = r.digits(2);
  if (!hour || !r.accept(':')) return std::nullopt;
  auto minute = r.digits(2);
  if (!minute) return std::nullopt;
  p.hour = *hour, p.minute = *minute;
  if (r.accept(':')) {
    auto second = r.digits(2);
    if (!second) return std::nullopt;
    p.second = *second;
    if (r.accept_any(".,")) {
      auto ms = r.fraction_ms();
      if (!ms) return std::nullopt;
      p.ms = *ms;
    }
  }
  if (r.accept('Z')) return r.at_end() ? std::optional(p) : std::nullopt;
  if (auto sign = r.accept_any("+-")) {
    auto oh = r.digits(2);
    if (!oh) return std::nullopt;
    r.accept(':');
    auto om = r.digits(2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    p.offset_minutes = (*sign == '-' ? -1 : 1) * (*oh * 60 + *om);
  }
  return r.at_end() ? std::optional(p) : std::nullopt;
}

// The first field of p outside its range, described; empty when all are fine.
std::string out_of_range(const parsed_iso& p) {
  if (p.year < 1) return "year 0 is out of range 1-9999";
  if (p.month < 1 || p.month > 12) return fmt::format("month {} is out of range 1-12", p.month);
  const int dim = days_in_month(p.year, p.month);
  if (p.day < 1 || p.day > dim) {
    return fmt::format("day {} is out of range 1-{} for {:04}-{:02}", p.day, dim, p.year, p.month);
  }
  if (p.hour > 23) return fmt::format("hour {} is out of range 0-23", p.hour);
  if (p.minute > 59) return fmt::format("minute {} is out of range 0-59", p.minute);
  if (p.second > 59) return fmt::format("second {} is out of range 0-59", p.second);
  return {};
}

}  // namespace

civil to_civil(time_point t) {
  const int64_t ms = to_ms(t);
  const int64_t days = floor_div(ms, ms_per_day);
  const auto in_day = static_cast<int>(floor_mod(ms, ms_per_day));
  const civil_date date = civil_from_days(days);
  civil c;
  c.year = date.year;
  c.month = date.month;
  c.day = date.day;
  c.hour = in_day / 3'600'000;
  c.minute = in_day / 60'000 % 60;
  c.second = in_day / 1000 % 60;
  c.millisecond = in_day % 1000;
  c.weekday = static_cast<int>(floor_mod(days + 4, 7));
  return c;
}

time_point from_civil(int64_t year, int month, int day, int hour, int minute, int second) {
  const int64_t days = days_from_civil(year, month, day);
  return from_ms(days * ms_per_day + int64_t{hour} * 3'600'000 + int64_t{minute} * 60'000 +
                 int64_t{second} * 1000);
}

std::string format_iso(time_point t) {
  const civil c = to_civil(t);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day,
                                c.hour, c.minute, c.second);
  if (c.millisecond != 0) out += fmt::format(".{:03}", c.millisecond);
  out += "+00:00";
  return out;
}

result<time_point> parse_iso(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(errc::bad_time,
                      fmt::format("expected an ISO 8601 time such as 2026-11-24T10:00:00Z, got "
                                  "\"{}\"{}{}",
                                  text, why.empty() ? "" : ": ", why));
  };
  auto p = read_iso(text);
  if (!p) return bad("");
  if (std::string why = out_of_range(*p); !why.empty()) return bad(why);
  const time_point local = from_civil(p->year, p->month, p->day, p->hour, p->minute, p->second);
  return local + std::chrono::milliseconds{p->ms} - std::chrono::minutes{p->offset_minutes};
}

}  // namespace sluice::schedule
