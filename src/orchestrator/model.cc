#include "orchestrator/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

namespace sluice::orchestrator {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::invalid_dag: return "invalid DAG";
    case errc::not_found: return "not found";
    case errc::conflict: return "already exists";
    case errc::bad_request: return "bad request";
    case errc::metadata: return "metadata database error";
    case errc::cannot_start: return "cannot start task";
  }
  return "unknown";
}
std::string_view category_name(errc) { return "orchestrator"; }

namespace {
constexpr std::array<std::string_view, 9> task_state_names{
    "none",   "scheduled",    "queued",          "running", "success",
    "failed", "up_for_retry", "upstream_failed", "skipped"};
constexpr std::array<std::string_view, 4> run_state_names{"queued", "running", "success", "failed"};
constexpr std::array<std::string_view, 3> run_type_names{"scheduled", "manual", "backfill"};

template <class E, size_t N>
std::optional<E> parse_enum(const std::array<std::string_view, N>& names, std::string_view s) {
  auto it = std::find(names.begin(), names.end(), s);
  if (it == names.end()) return std::nullopt;
  return static_cast<E>(it - names.begin());
}
}  // namespace

std::string_view name(task_state s) { return task_state_names[static_cast<size_t>(s)]; }
std::optional<task_state> parse_task_state(std::string_view s) {
  return parse_enum<task_state>(task_state_names, s);
}
bool finished(task_state s) {
  return s == task_state::success || s == task_state::failed || s == task_state::upstream_failed ||
         s == task_state::skipped;
}
std::string_view name(run_state s) { return run_state_names[static_cast<size_t>(s)]; }
std::optional<run_state> parse_run_state(std::string_view s) {
  return parse_enum<run_state>(run_state_names, s);
}
std::string_view name(run_type t) { return run_type_names[static_cast<size_t>(t)]; }
std::optional<run_type> parse_run_type(std::string_view s) {
  return parse_enum<run_type>(run_type_names, s);
}

const task_def* dag_def::task(std::string_view task_id) const {
  for (const auto& t : tasks) {
    if (t.id == task_id) return &t;
  }
  return nullptr;
}

namespace {

result<std::optional<time_point>> date_of(const std::string& dag_id, std::string_view key,
                                          const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto t = schedule::parse_iso(text);
  if (!t)
    return make_error(errc::invalid_dag,
                      fmt::format("DAG {}: {}: {}", dag_id, key, t.error().message));
  return *t;
}

result<dag_def> compile_one(const config::dag& d) {
  dag_def out;
  out.id = d.id;
  out.description = d.description;
  auto tt = schedule::timetable::parse(d.schedule);
  if (!tt)
    return make_error(errc::invalid_dag, fmt::format("DAG {}: {}", d.id, tt.error().message));
  out.timetable = std::move(*tt);
  auto start = date_of(d.id, "start_date", d.start_date);
  if (!start) return std::unexpected(start.error());
  auto end = date_of(d.id, "end_date", d.end_date);
  if (!end) return std::unexpected(end.error());
  out.start_date = *start;
  out.end_date = *end;
  out.catchup = d.catchup;
  out.max_active_runs = d.max_active_runs;
  out.paused = d.paused;
  out.params = d.params;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < d.tasks.size(); ++i) {
    if (!index.emplace(d.tasks[i].id, i).second) {
      return make_error(errc::invalid_dag,
                        fmt::format("DAG {}: duplicate task id '{}'", d.id, d.tasks[i].id));
    }
  }
  for (const auto& t : d.tasks) {
    task_def td{.id = t.id,
                .type = t.type,
                .pipeline = t.pipeline,
                .command = t.command,
                .env = t.env,
                .statements = t.statements,
                .policy = t.policy(d.default_args)};
    for (const auto& up : t.upstream) {
      auto it = index.find(up);
      if (it == index.end()) {
        return make_error(errc::invalid_dag,
                          fmt::format("DAG {}: task {}: unknown upstream '{}'", d.id, t.id, up));
      }
      td.upstream.push_back(it->second);
    }
    out.tasks.push_back(std::move(td));
  }
  // Kahn's algorithm: every task must be removable, or some are on a cycle.
  std::vector<size_t> pending(out.tasks.size());
  std::vector<std::vector<size_t>> down(out.tasks.size());
  for (size_t i = 0; i < out.tasks.size(); ++i) {
    pending[i] = out.tasks[i].upstream.size();
    for (size_t u : out.tasks[i].upstream) down[u].push_back(i);
  }
  std::vector<size_t> ready;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  size_t removed = 0;
  // Oldest-first, so tasks come out in the config's order where the dependencies allow.
  std::reverse(ready.begin(), ready.end());
  while (!ready.empty()) {
    const size_t t = ready.back();
    ready.pop_back();
    ++removed;
    out.order.push_back(t);
    for (size_t x : down[t]) {
      if (--pending[x] == 0) ready.push_back(x);
    }
  }
  if (removed != out.tasks.size()) {
    return make_error(errc::invalid_dag, fmt::format("DAG {}: dependency cycle", d.id));
  }
  return out;
}

}  // namespace

result<std::vector<dag_def>> compile(const std::vector<config::dag>& dags) {
  std::vector<dag_def> out;
  out.reserve(dags.size());
  for (const auto& d : dags) {
    auto c = compile_one(d);
    if (!c) return std::unexpected(c.error());
    out.push_back(std::move(*c));
  }
  return out;
}

std::string make_run_id(run_type t, time_point logical_date) {
  return fmt::format("{}__{}", name(t), schedule::format_iso(logical_date));
}

std::chrono::milliseconds retry_wait(const config::task_policy& p, std::string_view jitter_key,
                                     int try_number) {
  using std::chrono::milliseconds;
  const int64_t cap = std::max<int64_t>(p.max_retry_delay.count(), 0);
  if (!p.retry_exponential_backoff) return milliseconds{std::min(p.retry_delay.count(), cap)};
  // d = retry_delay * 2^(try-1), saturating well below overflow.
  int64_t d = std::max<int64_t>(p.retry_delay.count(), 1);
  for (int i = 1; i < try_number && d < (int64_t{1} << 50); ++i) d *= 2;
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : jitter_key) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  h ^= static_cast<uint64_t>(try_number);
  h *= 1099511628211ULL;
  const int64_t wait = d + static_cast<int64_t>(h % static_cast<uint64_t>(d));
  return milliseconds{std::min(wait, cap)};
}

}  // namespace sluice::orchestrator
