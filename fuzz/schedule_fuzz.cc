// Schedules and ISO times from arbitrary bytes: parsing never crashes, every accepted ISO time
// formats back to itself, and every accepted cron expression keeps its search invariants
// (next_after(t) > t and fires, prev_before(t) < t and fires, no firing skipped in between,
// alignment idempotent) at a few instants derived from the input, before 1970 and after 2100 too.
// Input: the schedule text; an optional second line is an ISO time used as one more instant.
#include <cstdlib>
#include <string_view>
#include <vector>

#include "schedule/cron.h"
#include "schedule/time.h"
#include "schedule/timetable.h"

namespace {

using namespace sluice::schedule;

void check(bool ok) {
  if (!ok) std::abort();
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Instants spread over years 1..9999 (parse_iso's domain), with odd seconds and milliseconds.
std::vector<time_point> instants(std::string_view input, std::string_view second_line) {
  const int64_t lo = to_ms(from_civil(1, 1, 1));
  const int64_t span = to_ms(from_civil(9999, 12, 31)) - lo;
  std::vector<time_point> out = {from_ms(0), from_civil(2100, 2, 28, 23, 59, 59),
                                 from_civil(2096, 3, 1)};
  uint64_t h = fnv1a(input);
  for (int i = 0; i < 3; ++i, h = h * 6364136223846793005ull + 1442695040888963407ull) {
    out.push_back(from_ms(lo + static_cast<int64_t>(h % static_cast<uint64_t>(span))));
  }
  if (auto t = parse_iso(second_line)) out.push_back(*t);
  return out;
}

void check_iso(std::string_view text) {
  auto t = parse_iso(text);
  if (!t) return;
  const civil c = to_civil(*t);
  if (c.year < 1 || c.year > 9999) return;  // an offset pushed it outside the text form's range
  auto again = parse_iso(format_iso(*t));
  check(again.has_value() && *again == *t);
}

void check_cron(const cron& c, time_point t) {
  const time_point next = c.next_after(t);
  check(next > t && c.fires_at(next));
  check(c.align_next(next) == next && c.align_prev(next) == next);
  check(c.prev_before(next) == c.align_prev(t));  // nothing fires in between
  const time_point prev = c.prev_before(t);
  check(prev < t && c.fires_at(prev));
  check(c.next_after(prev) == c.align_next(t));
}

void check_timetable(const timetable& tt, time_point t) {
  const time_point now = t + std::chrono::days{40};
  for (bool catchup : {false, true}) {
    auto first = tt.next(std::nullopt, t, catchup, now);
    if (tt.type() == timetable::kind::manual) check(!first.has_value());
    if (!first) continue;
    check(first->start <= first->end);
    auto second = tt.next(first, t, catchup, now);
    if (tt.type() == timetable::kind::cron) check(second && second->start >= first->end);
  }
  const data_interval manual = tt.manual_interval(t);
  check(manual.start <= manual.end && manual.end <= t);
  const auto backfill = tt.intervals_between(t, t + std::chrono::days{3}, 5);
  for (size_t i = 1; i < backfill.size(); ++i) check(backfill[i].start == backfill[i - 1].end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view text = input.substr(0, newline);
  const std::string_view second_line =
      newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

  check_iso(input);
  check_iso(text);
  auto c = cron::parse(text);
  auto tt = timetable::parse(text);
  if (c) check(tt.has_value() && tt->type() == timetable::kind::cron);
  if (!c && !tt) return 0;
  for (time_point t : instants(input, second_line)) {
    if (c) check_cron(*c, t);
    if (tt) check_timetable(*tt, t);
  }
  return 0;
}
