// Cassandra's text forms of dates and times (values.h).

#include <fmt/format.h>

#include "base/civil_date.h"
#include "cql/values.h"

namespace sluice::cql {
namespace {

// Parses digits at `s[i..]` into `v`; false when there are none.
bool number_at(std::string_view s, size_t& i, size_t max_digits, int64_t& v) {
  const size_t start = i;
  v = 0;
  while (i < s.size() && i - start < max_digits && s[i] >= '0' && s[i] <= '9')
    v = v * 10 + (s[i++] - '0');
  return i > start;
}

// yyyy-mm-dd as days since 1970-01-01.
result<int64_t> days_of(std::string_view s, size_t& i) {
  int64_t y = 0, m = 0, d = 0;
  const bool negative = i < s.size() && s[i] == '-';
  if (negative) ++i;
  if (!number_at(s, i, 9, y) || i >= s.size() || s[i++] != '-' || !number_at(s, i, 2, m) ||
      i >= s.size() || s[i++] != '-' || !number_at(s, i, 2, d)) {
    return make_error(errc::invalid_value, fmt::format("'{}' is not a date (yyyy-mm-dd)", s));
  }
  if (negative) y = -y;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, static_cast<int>(m))) {
    return make_error(errc::invalid_value, fmt::format("'{}' is not a valid date", s));
  }
  // Every year the nine digits allow, beyond std::chrono::year's 32767.
  return days_from_civil(y, static_cast<int>(m), static_cast<int>(d));
}

// hh:mm[:ss[.fffffffff]] as nanoseconds since midnight.
result<int64_t> nanos_of(std::string_view s, size_t& i, bool seconds_optional) {
  int64_t h = 0, m = 0, sec = 0, frac = 0;
  if (!number_at(s, i, 2, h) || i >= s.size() || s[i++] != ':' || !number_at(s, i, 2, m)) {
    return make_error(errc::invalid_value, fmt::format("'{}' is not a time (hh:mm:ss)", s));
  }
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!number_at(s, i, 2, sec))
      return make_error(errc::invalid_value, fmt::format("'{}': seconds", s));
    if (i < s.size() && s[i] == '.') {
      ++i;
      const size_t start = i;
      if (!number_at(s, i, 9, frac)) return make_error(errc::invalid_value, fmt::format("'{}'", s));
      for (size_t k = i - start; k < 9; ++k) frac *= 10;
    }
  } else if (!seconds_optional) {
    return make_error(errc::invalid_value, fmt::format("'{}' is not a time (hh:mm:ss)", s));
  }
  if (h > 23 || m > 59 || sec > 59)
    return make_error(errc::invalid_value, fmt::format("'{}' is not a time of day", s));
  return ((h * 60 + m) * 60 + sec) * 1'000'000'000 + frac;
}

}  // namespace

// Cassandra's timestamp forms: a date, optionally ' ' or 'T' and a time, optionally a zone
// (Z, +hh, +hhmm, +hh:mm). Without a zone, UTC.
result<int64_t> parse_timestamp(std::string_view s) {
  size_t i = 0;
  const int64_t days = SLUICE_TRY(days_of(s, i));
  // Beyond this a timestamp's 64 bits of milliseconds overflow (with a day's and a zone's room).
  if (days > 106'000'000'000 || days < -106'000'000'000) {
    return make_error(errc::invalid_value, fmt::format("'{}' is beyond the timestamp range", s));
  }
  int64_t ms = days * 86'400'000;
  if (i < s.size() && (s[i] == ' ' || s[i] == 'T')) {
    ++i;
    ms += SLUICE_TRY(nanos_of(s, i, true)) / 1'000'000;
  }
  if (i < s.size()) {
    if (s[i] == 'Z') {
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      const int sign = s[i++] == '+' ? 1 : -1;
      int64_t hh = 0, mm = 0;
      if (!number_at(s, i, 2, hh))
        return make_error(errc::invalid_value, fmt::format("'{}': zone", s));
      if (i < s.size() && s[i] == ':') ++i;
      number_at(s, i, 2, mm);
      if (hh > 23 || mm > 59) {
        return make_error(errc::invalid_value, fmt::format("'{}': the zone is not an offset", s));
      }
      ms -= sign * (hh * 60 + mm) * 60'000;
    }
  }
  if (i != s.size())
    return make_error(errc::invalid_value, fmt::format("'{}' is not a timestamp", s));
  return ms;
}

result<int32_t> parse_date(std::string_view text) {
  size_t i = 0;
  const int64_t days = SLUICE_TRY(days_of(text, i));
  if (i != text.size() || days < INT32_MIN || days > INT32_MAX) {
    return make_error(errc::invalid_value, fmt::format("'{}' is not a date (yyyy-mm-dd)", text));
  }
  return static_cast<int32_t>(days);
}

result<int64_t> parse_time(std::string_view text) {
  size_t i = 0;
  const int64_t nanos = SLUICE_TRY(nanos_of(text, i, false));
  if (i != text.size()) {
    return make_error(errc::invalid_value,
                      fmt::format("'{}' is not a time (hh:mm:ss[.fffffffff])", text));
  }
  return nanos;
}

}  // namespace sluice::cql
