// The scheduler as a part of sluice (`sluice scheduler`, `sluice up`): a thread that runs
// scheduling passes (every poll_interval, and at once when a try ends or a run is triggered), the
// executor, and the REST API on sluice's HTTP listener (rest.cc). The REST API and the scheduling
// thread each own a connection to the metadata database.
// Thread-safety: start()/stop() from one thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/lifecycle.h"
#include "config/config.h"
#include "orchestrator/executor.h"
#include "orchestrator/model.h"
#include "orchestrator/scheduler.h"

namespace sluice::orchestrator {

struct service_options {
  std::string metadata_url;
  std::vector<dag_def> dags;
  scheduler_options scheduler;
  std::chrono::milliseconds poll_interval{1000};
  size_t log_max_bytes = 1 << 20;
  runners task_runners;
  std::optional<config::host_port> http;  // the REST API's listener; nullopt: none
  const clock* time_source = nullptr;     // default: the system clock
};

class scheduler_service final : public service {
 public:
  explicit scheduler_service(service_options o);
  ~scheduler_service() override;

  [[nodiscard]] std::string_view name() const override { return "scheduler"; }
  [[nodiscard]] std::string endpoint() const override;
  result<void> start() override;
  void stop() override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The REST API alone, over its own connection: what scheduler_service serves. `executor` (may be
// null) gives running tries' logs and is woken by triggers.
class rest_server {
 public:
  rest_server(std::vector<dag_def> dags, std::unique_ptr<state_store> db, executor* ex,
              const clock& c);
  ~rest_server();
  result<void> start(const config::host_port& listen);
  void stop();
  [[nodiscard]] std::string endpoint() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::orchestrator
