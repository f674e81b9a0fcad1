// `sluice api`: the offline random-user API as a service, on sluice's HTTP stack (cpp-httplib,
// kept behind this header). GET /api/ (also /api and /api/1.4/) answers randomuser.me's query
// parameters with its JSON shape (generator.h); a bad parameter is a 400 with a JSON error.
// Fault injection, for testing ingestion: a share of requests answered 503, added latency, a share
// of requests answered late (to trip clients' timeouts), and a share of bodies cut short.
// Thread-safety: start()/stop() from one thread.
#pragma once

#include <chrono>
#include <memory>

#include "base/lifecycle.h"
#include "config/config.h"

namespace sluice::api {

struct server_options {
  config::host_port listen{"127.0.0.1", 8000};
  double error_rate = 0;                 // share of requests answered 503
  std::chrono::milliseconds latency{0};  // added before every answer
  double malformed_rate = 0;             // share of 200 answers whose body is cut short
  double slow_rate = 0;                  // share of requests answered only after slow_latency
  std::chrono::milliseconds slow_latency{2'000};
  int threads = 4;  // requests served at once
};

class server final : public service {
 public:
  explicit server(server_options options);
  ~server() override;

  std::string_view name() const override { return "api"; }
  std::string endpoint() const override;
  result<void> start() override;
  void stop() override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::api
