#include "base/lifecycle.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/core.h>

#include "base/log.h"

namespace sluice {

void service_group::add(std::unique_ptr<service> s) {
  assert(started_ == 0 && "services must be added before start_all()");
  services_.push_back(std::move(s));
}

result<void> service_group::start_all() {
  auto lg = log::get("lifecycle");
  for (; started_ < services_.size(); ++started_) {
    service& s = *services_[started_];
    lg->debug("starting {}", s.name());
    if (auto r = s.start(); !r) {
      auto err = std::move(r).error().with_context(fmt::format("starting {}", s.name()));
      lg->error("{}", err.message);
      // The failed service may have acquired resources before failing.
      s.stop();
      stop_all();
      return std::unexpected(std::move(err));
    }
    lg->info("{} ready{}{}", s.name(), s.endpoint().empty() ? "" : " on ", s.endpoint());
  }
  return {};
}

void service_group::stop_all() {
  while (started_ > 0) {
    service& s = *services_[--started_];
    log::get("lifecycle")->debug("stopping {}", s.name());
    s.stop();
  }
}

stop_signal::stop_signal() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &mask, &old_mask_);
  signal_fd_ = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (signal_fd_ < 0 || event_fd_ < 0) {
    // Without these descriptors the process could not be stopped cleanly; that is a broken
    // environment (descriptor limit reached at start-up), not an expected failure.
    fmt::print(stderr, "sluice: cannot create signal descriptors: {}\n", std::strerror(errno));
    std::abort();
  }
}

stop_signal::~stop_signal() {
  // Consume signals still pending (a second Ctrl-C during shutdown): unblocking them below would
  // deliver them with their default action and kill the process mid-cleanup.
  signalfd_siginfo info;
  while (read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  close(signal_fd_);
  close(event_fd_);
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

int stop_signal::wait() {
  for (;;) {
    if (auto sig = wait_ms(-1)) return *sig;
  }
}

std::optional<int> stop_signal::wait_for(std::chrono::milliseconds timeout) {
  const auto ms = std::clamp<int64_t>(timeout.count(), 0, std::numeric_limits<int>::max());
  return wait_ms(static_cast<int>(ms));
}

std::optional<int> stop_signal::wait_ms(int timeout_ms) {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {event_fd_, POLLIN, 0}};
  int n = poll(fds, 2, timeout_ms);
  if (n <= 0) return std::nullopt;  // timeout, or EINTR: the caller decides whether to retry
  if (fds[0].revents & POLLIN) {
    signalfd_siginfo info{};
    if (read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      return static_cast<int>(info.ssi_signo);
    }
  }
  if (fds[1].revents & POLLIN) {
    uint64_t v;
    if (read(event_fd_, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) return 0;
  }
  return std::nullopt;
}

void stop_signal::request_stop() {
  uint64_t one = 1;
  // eventfd writes of 8 bytes cannot be short; a full counter (never in practice) still wakes.
  [[maybe_unused]] auto n = write(event_fd_, &one, sizeof one);
}

result<void> run_until_stopped(service_group& group, stop_signal& stop) {
  SLUICE_TRY(group.start_all());
  int sig = stop.wait();
  log::get("lifecycle")->info("{}, stopping", sig == 0 ? "stop requested" : strsignal(sig));
  group.stop_all();
  return {};
}

}  // namespace sluice
