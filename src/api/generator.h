// Random users in randomuser.me's shape (version 1.4), generated offline and deterministically:
// the same request (seed, page, results, filters) gives the same bytes, as randomuser.me does for
// a seed (ages are counted to the generator's reference day, so they follow the calendar). Each
// user comes from its own pseudo-random stream (seed, page, index), so page P of a seed never
// depends on the pages before it. Thread-safe (const).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::api {

enum class errc { ok = 0, invalid_request };
std::string_view describe(errc e);
std::string_view category_name(errc);

// A request, as the query string gives it.
struct request {
  int results = 1;                   // 1..5000
  std::string seed;                  // empty: a fresh random seed, reported in `info`
  int page = 1;                      // >= 1
  std::string gender;                // "", "male" or "female"
  std::vector<std::string> nat;      // upper-case codes; empty: every nationality
  std::vector<std::string> include;  // top-level fields to keep; empty: all
  std::vector<std::string> exclude;  // top-level fields to drop
};

inline constexpr int max_results = 5000;

// Parses a query string ("results=10&seed=abc&nat=us,gb"); unknown keys are ignored, as
// randomuser.me does; bad values are errors that name them.
result<request> parse_query(std::string_view query);

class generator {
 public:
  // `today_days`: days since 1970-01-01 that ages are computed against.
  explicit generator(int64_t today_days);

  // The whole response body: {"results": [...], "info": {...}}.
  [[nodiscard]] std::string respond(const request& r) const;

 private:
  int64_t today_days_;
};

// Today, in days since 1970-01-01 (UTC).
int64_t days_today();

}  // namespace sluice::api
