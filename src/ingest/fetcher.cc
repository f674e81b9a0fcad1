#include "ingest/fetcher.h"

#include <curl/curl.h>

#include <random>
#include <thread>

#include <fmt/format.h>

namespace sluice::ingest {

std::string_view describe(fetch_errc e) {
  switch (e) {
    case fetch_errc::ok: return "ok";
    case fetch_errc::failed: return "request failed";
    case fetch_errc::refused: return "request refused";
    case fetch_errc::stopped: return "stopped";
  }
  return "unknown";
}
std::string_view category_name(fetch_errc) { return "fetch"; }

namespace {

using clock_type = std::chrono::steady_clock;

// An answer buffer grown past this is released after its answer (64 MiB; 5,000 randomuser.me
// users take about 6 MB).
constexpr size_t max_kept_body_bytes = 64 << 20;

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto& body = *static_cast<std::string*>(user);
  const size_t add = size * n;
  if (body.capacity() < body.size() + add + fetcher::body_padding) {
    body.reserve(std::max(body.capacity() * 2, body.size() + add + fetcher::body_padding));
  }
  body.append(data, add);
  return add;
}

// Retry-After in seconds (the HTTP-date form is not honoured: the backoff applies instead).
size_t on_header(char* data, size_t size, size_t n, void* user) {
  const std::string_view line(data, size * n);
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    bool match = true;
    for (size_t i = 0; i < name.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    }
    if (match) {
      const std::string value(line.substr(name.size()));
      char* end = nullptr;
      const long seconds = std::strtol(value.c_str(), &end, 10);
      if (end != value.c_str() && seconds >= 0) *static_cast<long*>(user) = seconds;
    }
  }
  return size * n;
}

// Sleeps for `d` unless `stop` is raised first; false when it was.
bool pause(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  const auto until = clock_type::now() + d;
  while (clock_type::now() < until) {
    if (stop) return false;
    std::this_thread::sleep_for(
        std::min<clock_type::duration>(std::chrono::milliseconds(20), until - clock_type::now()));
  }
  return !stop;
}

}  // namespace

rate_limiter::rate_limiter(double per_second)
    : per_second_(per_second), tokens_(per_second > 0 ? 1 : 0), last_(clock_type::now()) {}

bool rate_limiter::acquire(const std::atomic<bool>& stop) {
  if (per_second_ <= 0) return !stop;
  for (;;) {
    if (stop) return false;
    std::chrono::duration<double> wait{};
    {
      std::lock_guard lock(mu_);
      const auto now = clock_type::now();
      tokens_ =
          std::min(std::max(per_second_, 1.0),
                   tokens_ + std::chrono::duration<double>(now - last_).count() * per_second_);
      last_ = now;
      if (tokens_ >= 1) {
        tokens_ -= 1;
        return true;
      }
      wait = std::chrono::duration<double>((1 - tokens_) / per_second_);
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::duration<double>>(wait, std::chrono::milliseconds(50)));
  }
}

struct fetcher::impl {
  fetch_options options;
  rate_limiter& limiter;
  fetch_stats& stats;
  const std::atomic<bool>& stop;
  CURL* curl = nullptr;
  std::mt19937_64 rng{std::random_device{}()};
  std::string body;  // the last answer's, its capacity kept between answers
};

fetcher::fetcher(fetch_options o, rate_limiter& limiter, fetch_stats& stats,
                 const std::atomic<bool>& stop)
    : impl_(std::make_unique<impl>(impl{o, limiter, stats, stop})) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->curl = curl_easy_init();
}

fetcher::~fetcher() {
  if (impl_->curl) curl_easy_cleanup(impl_->curl);
}

result<std::string_view> fetcher::get(const std::string& url,
                                      const std::function<result<void>(std::string_view)>& usable) {
  impl& m = *impl_;
  std::string last_reason = "no attempt made";
  for (int attempt = 0; attempt <= m.options.max_retries; ++attempt) {
    if (!m.limiter.acquire(m.stop)) return make_error(fetch_errc::stopped, "stopping");
    if (attempt > 0) ++m.stats.retries;
    ++m.stats.requests;
    std::string& body = m.body;
    body.clear();
    if (body.capacity() > max_kept_body_bytes) std::string().swap(body);  // do not hoard
    body.reserve(body_padding);
    long retry_after = -1;
    CURL* c = m.curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip or deflate, when offered
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(m.options.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(m.options.timeout.count()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &retry_after);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sluice-ingest");
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    bool retry = true;
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      ++m.stats.timeouts;
      last_reason = fmt::format("no answer within {} ms", m.options.timeout.count());
    } else if (rc != CURLE_OK) {
      last_reason = curl_easy_strerror(rc);
    } else if (status == 200) {
      if (!usable) return std::string_view(body);
      auto ok = usable(body);
      if (ok) return std::string_view(body);
      ++m.stats.unusable;
      last_reason = ok.error().message;
    } else if (status == 429 || status >= 500) {
      ++m.stats.http_errors;
      last_reason = fmt::format("HTTP {}", status);
    } else {
      retry = false;
      last_reason = fmt::format("HTTP {}: {}", status, body.substr(0, 200));
    }
    if (!retry) {
      ++m.stats.failed;
      return make_error(fetch_errc::refused, fmt::format("GET {}: {}", url, last_reason));
    }
    if (attempt == m.options.max_retries) break;
    // Exponential backoff with full jitter; a Retry-After the server gave takes precedence.
    const std::chrono::milliseconds ceiling = std::min<std::chrono::milliseconds>(
        m.options.backoff_max,
        std::chrono::milliseconds(m.options.backoff.count() << std::min(attempt, 20)));
    auto wait = std::chrono::milliseconds(
        std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(ceiling.count(), 1))(m.rng));
    if (retry_after >= 0) wait = std::chrono::seconds(std::min<long>(retry_after, 300));
    if (!pause(wait, m.stop)) return make_error(fetch_errc::stopped, "stopping");
  }
  ++m.stats.failed;
  return make_error(fetch_errc::failed, fmt::format("GET {}: {} attempts failed; the last: {}", url,
                                                    m.options.max_retries + 1, last_reason));
}

}  // namespace sluice::ingest
