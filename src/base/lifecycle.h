// Lifecycle of long-running parts: the one shape every server has (service), a group that starts
// services in dependency order and stops them in reverse, and the SIGINT/SIGTERM stop signal.
//
// Ownership: a service_group owns its services. Thread-safety: service_group is driven from one
// thread; stop_signal::request_stop() may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signal.h>

#include "base/error.h"

namespace sluice {

// A server or background job. start() returns once the service is ready (listening, connected)
// or has failed; stop() returns once it has stopped, is idempotent, and is safe after a failed
// or absent start().
class service {
 public:
  virtual ~service() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // Where it can be reached, for the start-up banner (e.g. "127.0.0.1:9092"); may be empty.
  [[nodiscard]] virtual std::string endpoint() const { return {}; }
  virtual result<void> start() = 0;
  virtual void stop() = 0;
};

class service_group {
 public:
  service_group() = default;
  service_group(const service_group&) = delete;
  service_group& operator=(const service_group&) = delete;
  ~service_group() { stop_all(); }

  // Services start in the order added, so add dependencies first.
  void add(std::unique_ptr<service> s);

  // Starts every service in order. If one fails, those already started are stopped in reverse
  // order and the error names the service that failed.
  result<void> start_all();

  // Stops the started services in reverse order of start. Idempotent.
  void stop_all();

  [[nodiscard]] const std::vector<std::unique_ptr<service>>& services() const { return services_; }

 private:
  std::vector<std::unique_ptr<service>> services_;
  size_t started_ = 0;
};

// Turns SIGINT and SIGTERM into an orderly stop. Construct it in main() before starting any
// thread: it blocks both signals in the constructing thread, so threads created afterwards
// inherit the mask and the signals are only ever consumed here. The destructor restores the mask.
class stop_signal {
 public:
  stop_signal();
  stop_signal(const stop_signal&) = delete;
  stop_signal& operator=(const stop_signal&) = delete;
  ~stop_signal();

  // Blocks until SIGINT/SIGTERM arrives or request_stop() is called. Returns the signal number,
  // or 0 for request_stop().
  int wait();
  // As wait(), giving up after `timeout` (nullopt).
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  void request_stop();

 private:
  std::optional<int> wait_ms(int timeout_ms);

  int signal_fd_ = -1;
  int event_fd_ = -1;
  sigset_t old_mask_{};
};

// The usual main loop of a server command: start the group, wait for a stop signal, stop the
// group in reverse order. Returns the start error if any.
result<void> run_until_stopped(service_group& group, stop_signal& stop);

}  // namespace sluice
