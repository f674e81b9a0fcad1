// The fetcher against the random-user API with its faults switched on, and against a server that
// asks to be called back later.
#include "ingest/fetcher.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include <fmt/format.h>

#include "api/server.h"
#include "ingest/mapping.h"

namespace sluice::ingest {
namespace {

using namespace std::chrono_literals;

struct api_on_loopback {
  explicit api_on_loopback(api::server_options o) : server((o.listen = {"127.0.0.1", 0}, o)) {
    EXPECT_TRUE(server.start());
    url = fmt::format("http://{}/api/", server.endpoint());
  }
  api::server server;
  std::string url;
};

fetch_options quick() {
  fetch_options o;
  o.backoff = 5ms;
  o.backoff_max = 20ms;
  o.timeout = 2s;
  return o;
}

TEST(Fetcher, RetriesFailuresUntilItGetsAnswers) {
  api::server_options o;
  o.error_rate = 0.3;
  api_on_loopback api(o);
  rate_limiter unlimited(0);
  fetch_stats stats;
  std::atomic<bool> stop{false};
  fetcher f(quick(), unlimited, stats, stop);
  for (int i = 0; i < 60; ++i) {
    auto body = f.get(api.url + fmt::format("?results=2&seed=r&page={}", i + 1));
    ASSERT_TRUE(body) << body.error().message;
  }
  EXPECT_GT(stats.retries, 5);
  EXPECT_EQ(stats.http_errors, stats.retries);
  EXPECT_EQ(stats.failed, 0);
}

TEST(Fetcher, UnusableAnswersAndTimeoutsFailWithTheReason) {
  api::server_options o;
  o.malformed_rate = 1;
  api_on_loopback garbage(o);
  rate_limiter unlimited(0);
  fetch_stats stats;
  std::atomic<bool> stop{false};
  auto opts = quick();
  opts.max_retries = 2;
  fetcher f(opts, unlimited, stats, stop);
  const auto m = std::move(*mapping::compile(reference_templates()));
  auto usable = [&](std::string_view body) -> result<void> {
    SLUICE_TRY(m.apply(body, "results", 1));
    return {};
  };
  auto bad = f.get(garbage.url + "?results=5", usable);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(is(bad.error(), fetch_errc::failed));
  EXPECT_NE(bad.error().message.find("3 attempts failed; the last: the answer is not JSON"),
            std::string::npos)
      << bad.error().message;
  EXPECT_EQ(stats.unusable, 3);

  api::server_options slow;
  slow.latency = 500ms;
  api_on_loopback late(slow);
  opts.timeout = 100ms;
  fetcher t(opts, unlimited, stats, stop);
  auto timed_out = t.get(late.url);
  ASSERT_FALSE(timed_out);
  EXPECT_NE(timed_out.error().message.find("no answer within 100 ms"), std::string::npos);
  EXPECT_EQ(stats.timeouts, 3);

  auto missing = t.get(late.url.substr(0, late.url.size() - 5) + "/nothing");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(is(missing.error(), fetch_errc::refused));  // a 404 is not retried
}

TEST(Fetcher, HonoursRetryAfterAndTheRateLimit) {
  httplib::Server busy;
  std::atomic<int> calls{0};
  busy.Get("/", [&](const httplib::Request&, httplib::Response& res) {
    if (calls++ == 0) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      return;
    }
    res.set_content("{}", "application/json");
  });
  const int port = busy.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { busy.listen_after_bind(); });
  rate_limiter unlimited(0);
  fetch_stats stats;
  std::atomic<bool> stop{false};
  fetcher f(quick(), unlimited, stats, stop);
  const auto t0 = std::chrono::steady_clock::now();
  auto body = f.get(fmt::format("http://127.0.0.1:{}/", port));
  const auto waited = std::chrono::steady_clock::now() - t0;
  busy.stop();
  serving.join();
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_GE(waited, 1s);
  EXPECT_EQ(stats.http_errors, 1);

  // 10 a second: 21 tokens take two seconds after the first.
  rate_limiter ten(10);
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < 21; ++i) ASSERT_TRUE(ten.acquire(stop));
  EXPECT_GE(std::chrono::steady_clock::now() - t1, 1800ms);
  stop = true;
  EXPECT_FALSE(ten.acquire(stop));
}

}  // namespace
}  // namespace sluice::ingest
