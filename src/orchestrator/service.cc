#include "orchestrator/service.h"

#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "base/log.h"
#include "base/thread_name.h"

namespace sluice::orchestrator {

struct scheduler_service::impl {
  service_options options;
  system_clock wall;
  std::unique_ptr<state_store> db;
  std::unique_ptr<executor> ex;
  std::unique_ptr<scheduler> sched;
  std::unique_ptr<rest_server> rest;
  std::thread loop;
  std::atomic<bool> stopping{false};
  bool running = false;

  const clock& time() const { return options.time_source ? *options.time_source : wall; }

  void run_loop() {
    auto log = log::get("scheduler");
    bool failing = false;
    while (!stopping.load()) {
      auto r = sched->tick();
      if (!r && !failing) {
        log->warn("scheduling pass failed, retrying every {} ms: {}", options.poll_interval.count(),
                  r.error().message);
      } else if (r && failing) {
        log->info("scheduling passes work again");
      }
      failing = !r.has_value();
      ex->wait(options.poll_interval);
    }
  }
};

scheduler_service::scheduler_service(service_options o) : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(o);
}

scheduler_service::~scheduler_service() { stop(); }

std::string scheduler_service::endpoint() const {
  if (impl_->rest) return "http://" + impl_->rest->endpoint() + "/api/v1";
  return impl_->db ? impl_->db->target() : impl_->options.metadata_url;
}

result<void> scheduler_service::start() {
  impl& m = *impl_;
  auto db = state_store::open(m.options.metadata_url);
  if (!db) return std::unexpected(std::move(db.error()).with_context("metadata database"));
  m.db = std::move(*db);
  m.ex = std::make_unique<executor>(m.options.task_runners, m.options.log_max_bytes);
  m.sched =
      std::make_unique<scheduler>(m.options.scheduler, m.options.dags, *m.db, *m.ex, m.time());
  if (auto s = m.sched->start(); !s) return s;
  if (m.options.http) {
    auto rest_db = state_store::open(m.options.metadata_url);
    if (!rest_db) return std::unexpected(rest_db.error());
    m.rest =
        std::make_unique<rest_server>(m.options.dags, std::move(*rest_db), m.ex.get(), m.time());
    if (auto s = m.rest->start(*m.options.http); !s) {
      (void)m.sched->stop();
      return s;
    }
  }
  m.stopping = false;
  m.loop = std::thread([&m] {
    name_this_thread("scheduler");
    m.run_loop();
  });
  m.running = true;
  return {};
}

void scheduler_service::stop() {
  impl& m = *impl_;
  if (!m.running) return;
  m.running = false;
  if (m.rest) m.rest->stop();
  m.stopping = true;
  m.ex->notify();
  m.loop.join();
  if (auto r = m.sched->stop(); !r) {
    log::get("scheduler")->warn("recording the interrupted tries failed: {}", r.error().message);
  }
}

}  // namespace sluice::orchestrator
