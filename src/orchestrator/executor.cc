#include "orchestrator/executor.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/thread_name.h"
#include "orchestrator/templates.h"

namespace sluice::orchestrator {

void log_buffer::append(std::string_view text) {
  std::lock_guard lock(mu_);
  ++version_;
  const size_t head_max = max_ / 8;
  if (head_.size() < head_max) {
    const size_t n = std::min(head_max - head_.size(), text.size());
    head_.append(text.substr(0, n));
    text.remove_prefix(n);
  }
  tail_.append(text);
  const size_t tail_max = max_ - head_max;
  // Trim in large steps, so appending stays amortized O(1).
  if (tail_.size() > tail_max + tail_max / 2) {
    const size_t cut = tail_.size() - tail_max;
    dropped_ += cut;
    tail_.erase(0, cut);
  }
}

void log_buffer::note(std::string_view message) {
  append(fmt::format("[sluice] {} {}\n",
                     schedule::format_iso(std::chrono::time_point_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now())),
                     message));
}

std::string log_buffer::text() const {
  std::lock_guard lock(mu_);
  const size_t head_max = max_ / 8;
  const size_t tail_max = max_ - head_max;
  std::string_view tail = tail_;
  uint64_t dropped = dropped_;
  if (tail.size() > tail_max) {
    dropped += tail.size() - tail_max;
    tail.remove_prefix(tail.size() - tail_max);
  }
  if (dropped == 0) return head_ + std::string(tail);
  return fmt::format("{}\n[sluice] ... {} bytes of output left out ...\n{}", head_, dropped, tail);
}

uint64_t log_buffer::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

struct executor::slot {
  try_context ctx;
  log_buffer log;
  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::string cancel_reason;
  bool interrupted = false;
  uint64_t flushed_version = 0;
  std::thread thread;
  slot(try_context c, size_t max) : ctx(std::move(c)), log(max) {}
};

executor::executor(runners r, size_t log_max_bytes)
    : runners_(std::move(r)), log_max_bytes_(std::max<size_t>(log_max_bytes, 4096)) {}

executor::~executor() { shutdown(); }

void executor::join_exited() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mu_);
    done.swap(exited_);
  }
  for (auto& t : done) t.join();
}

result<void> executor::start(try_context ctx) {
  join_exited();
  auto s = std::make_shared<slot>(std::move(ctx), log_max_bytes_);
  std::lock_guard lock(mu_);
  if (shutting_down_) return make_error(errc::cannot_start, "the executor is shutting down");
  try {
    s->thread = std::thread([this, s] { run_slot(s); });
  } catch (const std::system_error& e) {
    return make_error(errc::cannot_start, std::string("cannot start a thread: ") + e.what());
  }
  running_.push_back(std::move(s));
  return {};
}

namespace {

try_outcome run_builtin(const runner& r, std::string_view type, const try_context& ctx,
                        const std::atomic<bool>& cancel, log_buffer& log) {
  if (!r) return {try_outcome::failed, fmt::format("{} tasks cannot run here", type)};
  return r(ctx, cancel, log);
}

}  // namespace

void executor::run_slot(const std::shared_ptr<slot>& s) {
  name_this_thread("task");
  const auto& ctx = s->ctx;
  s->log.note(fmt::format("{} {} {} try {} of {}", ctx.dag_id, ctx.run.run_id, ctx.task.id,
                          ctx.claim.try_number, ctx.claim.max_tries));
  try_outcome out;
  auto vars = variables_of(ctx);
  if (!vars) {
    out = {try_outcome::failed, vars.error().message};
  } else if (ctx.task.type == config::task_type::command) {
    auto cmd = render_template(ctx.task.command, *vars);
    if (!cmd) {
      out = {try_outcome::failed, cmd.error().message};
    } else {
      s->log.note("running: " + *cmd);
      out = run_command(*cmd, environment_of(ctx, *vars), s->cancel, s->log);
    }
  } else if (ctx.task.type == config::task_type::ingest) {
    out = run_builtin(runners_.ingest, "ingest", ctx, s->cancel, s->log);
  } else if (ctx.task.type == config::task_type::process) {
    out = run_builtin(runners_.process, "process", ctx, s->cancel, s->log);
  } else {
    out = run_builtin(runners_.cql, "cql", ctx, s->cancel, s->log);
  }
  bool interrupted = false;
  {
    std::lock_guard lock(s->mu);
    // A stopped try failed, whatever its job said: a built-in job asked to stop ends early and
    // may call that a success (what it did so far is flushed).
    if (s->cancel.load()) {
      out.result = try_outcome::failed;
      out.reason = s->cancel_reason.empty() ? "stopped" : s->cancel_reason;
    }
    interrupted = s->interrupted;
  }
  s->log.note(out.result == try_outcome::success   ? std::string("success")
              : out.result == try_outcome::skipped ? "skipped: " + out.reason
                                                   : "failed: " + out.reason);
  std::lock_guard lock(mu_);
  finished_.push_back({ctx.claim, std::move(out), s->log.text(), interrupted});
  auto it = std::find(running_.begin(), running_.end(), s);
  if (it != running_.end()) {
    // Joined later by another thread (a thread cannot join itself).
    exited_.push_back(std::move((*it)->thread));
    running_.erase(it);
  }
  woken_ = true;
  cv_.notify_all();
}

std::shared_ptr<executor::slot> executor::find(const task_key& key, int try_number) const {
  for (const auto& s : running_) {
    if (s->ctx.claim.key == key && s->ctx.claim.try_number == try_number) return s;
  }
  return nullptr;
}

void executor::cancel(const task_key& key, int try_number, std::string reason) {
  std::lock_guard lock(mu_);
  auto s = find(key, try_number);
  if (!s) return;
  std::lock_guard slock(s->mu);
  if (s->cancel.load()) return;
  s->cancel_reason = std::move(reason);
  s->log.note("stopping: " + s->cancel_reason);
  s->cancel.store(true);
}

void executor::shutdown() {
  std::unique_lock lock(mu_);
  shutting_down_ = true;
  for (const auto& s : running_) {
    std::lock_guard slock(s->mu);
    if (!s->cancel.load()) {
      s->cancel_reason = "interrupted: the scheduler is stopping";
      s->interrupted = true;
      s->log.note("stopping: the scheduler is stopping");
      s->cancel.store(true);
    }
  }
  cv_.wait(lock, [&] { return running_.empty(); });
  lock.unlock();
  join_exited();
}

std::vector<finished_try> executor::take_finished() {
  join_exited();
  std::lock_guard lock(mu_);
  return std::exchange(finished_, {});
}

size_t executor::active() const {
  std::lock_guard lock(mu_);
  return running_.size();
}

std::optional<std::string> executor::live_log(const task_key& key, int try_number) const {
  std::lock_guard lock(mu_);
  auto s = find(key, try_number);
  if (!s) return std::nullopt;
  return s->log.text();
}

std::vector<executor::running_log> executor::changed_logs() {
  std::lock_guard lock(mu_);
  std::vector<running_log> out;
  for (const auto& s : running_) {
    const uint64_t v = s->log.version();
    if (v == s->flushed_version) continue;
    s->flushed_version = v;
    out.push_back({s->ctx.claim, s->log.text()});
  }
  return out;
}

bool executor::wait(std::chrono::milliseconds max) {
  std::unique_lock lock(mu_);
  const bool woken = cv_.wait_for(lock, max, [&] { return woken_ || !finished_.empty(); });
  woken_ = false;
  return woken;
}

void executor::notify() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

}  // namespace sluice::orchestrator
