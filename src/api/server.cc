#include "api/server.h"

#include <httplib.h>

#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "api/generator.h"
#include "base/log.h"
#include "base/thread_name.h"
#include "net/http_listen.h"

namespace sluice::api {
namespace {

// randomuser.me's own words when it fails.
constexpr std::string_view failure_body =
    R"({"error":"Uh oh, something has gone wrong. Please tweet us @randomapi about the issue. Thank you."})";

std::string error_json(std::string_view message) {
  std::string out = "{\"error\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"}";
}

}  // namespace

struct server::impl {
  explicit impl(server_options o) : options(o), gen(days_today()) {}

  server_options options;
  generator gen;
  httplib::Server http;
  std::thread thread;
  std::string bound;
  bool running = false;
  std::mutex mu;
  std::mt19937_64 faults{std::random_device{}()};

  // A fault to inject: 0 none, 1 an error answer, 2 a cut body.
  int fault() {
    std::lock_guard lock(mu);
    std::uniform_real_distribution<double> u(0, 1);
    if (options.error_rate > 0 && u(faults) < options.error_rate) return 1;
    if (options.malformed_rate > 0 && u(faults) < options.malformed_rate) return 2;
    return 0;
  }
  size_t cut(size_t size) {
    std::lock_guard lock(mu);
    return size == 0 ? 0 : std::uniform_int_distribution<size_t>(0, size - 1)(faults);
  }

  bool slow() {
    if (options.slow_rate <= 0) return false;
    std::lock_guard lock(mu);
    return std::uniform_real_distribution<double>(0, 1)(faults) < options.slow_rate;
  }

  void answer(const httplib::Request& req, httplib::Response& res) {
    if (options.latency.count() > 0) std::this_thread::sleep_for(options.latency);
    if (slow()) std::this_thread::sleep_for(options.slow_latency);
    const int f = fault();
    if (f == 1) {
      res.status = 503;
      res.set_content(std::string(failure_body), "application/json");
      return;
    }
    // The raw query string, so that parameters keep their order and spelling.
    const auto q = req.target.find('?');
    auto parsed = parse_query(q == std::string::npos ? std::string_view()
                                                     : std::string_view(req.target).substr(q + 1));
    if (!parsed) {
      res.status = 400;
      res.set_content(error_json(parsed.error().message), "application/json");
      return;
    }
    std::string body = gen.respond(*parsed);
    if (f == 2) body.resize(cut(body.size()));
    res.set_header("Access-Control-Allow-Origin", "*");
    res.set_content(std::move(body), "application/json; charset=utf-8");
  }
};

server::server(server_options options) : impl_(std::make_unique<impl>(options)) {}

server::~server() { stop(); }

std::string server::endpoint() const { return impl_->bound; }

result<void> server::start() {
  impl& m = *impl_;
  if (m.running) return make_error(sluice::errc::already_started, "api already running");
  m.http.new_task_queue = [&m] {
    return new httplib::ThreadPool(static_cast<size_t>(std::max(1, m.options.threads)));
  };
  // Small answers leave at once rather than waiting on Nagle's algorithm for the client's ACK.
  m.http.set_tcp_nodelay(true);
  auto handler = [&m](const httplib::Request& req, httplib::Response& res) { m.answer(req, res); };
  for (const char* path : {"/api", "/api/", "/api/1.4", "/api/1.4/"}) m.http.Get(path, handler);
  m.http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) {
      res.set_content(error_json(fmt::format("no such path: {}; the API is at /api/", req.path)),
                      "application/json");
    }
  });
  auto bound = net::bind_http(m.http, m.options.listen);
  if (!bound) return std::unexpected(bound.error());
  m.bound = *bound;
  m.thread = std::thread([&m] {
    name_this_thread("api-http");
    m.http.listen_after_bind();
  });
  m.running = true;
  log::get("api")->info("random-user API on http://{}/api/", m.bound);
  return {};
}

void server::stop() {
  impl& m = *impl_;
  if (!m.running) return;
  m.http.stop();
  m.thread.join();
  m.running = false;
}

}  // namespace sluice::api
