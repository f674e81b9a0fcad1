// HTTP GETs of an API, as an ingestion job needs them: connect and total timeouts, retries of
// what may pass (timeouts, refused connections, 429 and 5xx answers, answers the caller finds
// unusable) with exponential backoff and full jitter, honouring Retry-After, and a rate limit
// shared by all fetchers of a job. Every attempt, retry and failure is counted. A stop flag ends
// waits and retries promptly. libcurl stays in fetcher.cc.
// Thread-safety: one fetcher per thread; a rate_limiter and fetch_stats are shared.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/error.h"

namespace sluice::ingest {

enum class fetch_errc {
  ok = 0,
  failed,   // every attempt failed; the message says how the last one did
  refused,  // an answer that retrying cannot change (a 4xx other than 429)
  stopped,  // the job is stopping
};
std::string_view describe(fetch_errc e);
std::string_view category_name(fetch_errc);

struct fetch_options {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{30'000};  // the whole request
  int max_retries = 8;                        // attempts after the first
  std::chrono::milliseconds backoff{200};     // the first retry's ceiling; doubles each time
  std::chrono::milliseconds backoff_max{10'000};
};

struct fetch_stats {
  std::atomic<int64_t> requests{0};     // attempts made
  std::atomic<int64_t> retries{0};      // attempts after a failed one
  std::atomic<int64_t> timeouts{0};     // attempts that timed out
  std::atomic<int64_t> http_errors{0};  // attempts answered 429 or 5xx
  std::atomic<int64_t> unusable{0};     // answers the caller refused (malformed)
  std::atomic<int64_t> failed{0};       // requests that failed after every retry
};

// A token bucket: at most `per_second` acquisitions a second, in bursts of at most one second's
// worth. per_second <= 0: no limit.
class rate_limiter {
 public:
  explicit rate_limiter(double per_second);
  // Waits for a token; false when `stop` was raised meanwhile.
  bool acquire(const std::atomic<bool>& stop);

 private:
  double per_second_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
  std::mutex mu_;
};

class fetcher {
 public:
  fetcher(fetch_options o, rate_limiter& limiter, fetch_stats& stats,
          const std::atomic<bool>& stop);
  ~fetcher();
  fetcher(const fetcher&) = delete;
  fetcher& operator=(const fetcher&) = delete;

  // The body of a 200 answer to GET `url` that `usable` accepts (no check when empty). The view
  // points into the fetcher's buffer (reused, so that large answers are not reallocated each
  // time): valid until the next get(), and followed by at least `body_padding` readable bytes,
  // as simdjson needs to parse it in place. `usable` sees the same view.
  static constexpr size_t body_padding = 64;
  result<std::string_view> get(const std::string& url,
                               const std::function<result<void>(std::string_view)>& usable = {});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::ingest
