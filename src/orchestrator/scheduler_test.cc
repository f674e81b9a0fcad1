// The scheduler against a real metadata database and real subprocesses, with a manual clock: no
// test waits on wall time for a schedule, a retry wait or a timeout (only for `sh` to run).
// Every case runs on SQLite and, under scripts/with-postgres, on PostgreSQL (the .postgresql ctest
// entry requires it).
#include "orchestrator/scheduler.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <set>
#include <thread>

#include "config/config.h"

namespace sluice::orchestrator {
namespace {

using namespace std::chrono_literals;

enum class backend { sqlite, postgresql };

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

time_point at(std::string_view iso) { return *schedule::parse_iso(iso); }

class scheduler_test : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::sqlite) {
      std::string dir = ::testing::TempDir() + "sched_XXXXXX";
      ASSERT_NE(mkdtemp(dir.data()), nullptr);
      url_ = "sqlite://" + dir + "/metadata.db";
      return;
    }
    const std::string base = env_or_empty("SLUICE_TEST_POSTGRES_URL");
    if (base.empty()) {
      if (env_or_empty("SLUICE_TEST_POSTGRES_REQUIRED") == "1") {
        FAIL() << "SLUICE_TEST_POSTGRES_REQUIRED=1 but SLUICE_TEST_POSTGRES_URL is not set";
      }
      GTEST_SKIP() << "SLUICE_TEST_POSTGRES_URL is not set (run under scripts/with-postgres)";
    }
    static std::atomic<int> counter = 0;
    const std::string schema = fmt::format("sched_test_{}_{}", getpid(), counter++);
    auto admin = metadb::open(base);
    ASSERT_TRUE(admin) << admin.error().to_string();
    ASSERT_TRUE((*admin)->script("CREATE SCHEMA " + schema));
    url_ = fmt::format("{}{}options=-csearch_path%3D{}", base,
                       base.find('?') == std::string::npos ? '?' : '&', schema);
  }

  // Loads DAGs from YAML (through the config loader and its checks) and starts a scheduler.
  void load(const std::string& dags_yaml) {
    auto c = config::load_string("dags:\n" + dags_yaml, "test.yaml");
    ASSERT_TRUE(c) << c.error().message;
    auto d = compile(c->dags);
    ASSERT_TRUE(d) << d.error().message;
    dags_ = *d;
    sched_ = start_scheduler("s1");
  }

  struct instance {
    std::unique_ptr<state_store> st;
    std::unique_ptr<executor> ex;
    std::unique_ptr<scheduler> s;
  };

  std::unique_ptr<instance> start_scheduler(const std::string& id) {
    auto in = std::make_unique<instance>();
    auto st = state_store::open(url_);
    EXPECT_TRUE(st) << st.error().to_string();
    if (!st) return nullptr;
    in->st = std::move(*st);
    in->ex = std::make_unique<executor>(runners{}, 64 * 1024);
    in->s = std::make_unique<scheduler>(
        scheduler_options{
            .parallelism = parallelism_, .heartbeat_timeout = 30s, .scheduler_id = id},
        dags_, *in->st, *in->ex, clock_);
    auto started = in->s->start();
    EXPECT_TRUE(started) << started.error().to_string();
    return in;
  }

  // Runs passes until `done` holds (or 400 passes, about 20 s of real waiting at most).
  bool run_until(const std::function<bool()>& done, instance* in = nullptr) {
    in = in ? in : sched_.get();
    for (int i = 0; i < 400; ++i) {
      auto r = in->s->tick();
      EXPECT_TRUE(r) << r.error().to_string();
      if (!r) return false;
      if (done()) return true;
      in->ex->wait(50ms);
    }
    return false;
  }

  std::vector<run_row> runs(const std::string& dag) {
    auto r = sched_->st->runs(dag, std::nullopt, 1000, 0);
    EXPECT_TRUE(r);
    return r ? *r : std::vector<run_row>{};
  }
  std::optional<task_row> ti(const std::string& dag, const std::string& run,
                             const std::string& task) {
    auto r = sched_->st->task({dag, run, task});
    EXPECT_TRUE(r);
    return r ? *r : std::nullopt;
  }
  std::vector<try_row> tries(const std::string& dag, const std::string& run,
                             const std::string& task) {
    auto r = sched_->st->tries({dag, run, task});
    EXPECT_TRUE(r);
    return r ? *r : std::vector<try_row>{};
  }
  bool all_runs_done(const std::string& dag, size_t n) {
    auto rs = runs(dag);
    if (rs.size() != n) return false;
    for (const auto& r : rs) {
      if (r.state != run_state::success && r.state != run_state::failed) return false;
    }
    return true;
  }

  std::string url_;
  int64_t parallelism_ = 8;
  manual_clock clock_{at("2026-01-04T00:00:00Z")};
  std::vector<dag_def> dags_;
  std::unique_ptr<instance> sched_;
};

TEST_P(scheduler_test, catchup_creates_every_missed_interval_in_order) {
  load(R"(  - id: d
    schedule: "@daily"
    start_date: 2026-01-01
    catchup: true
    tasks: [{id: t, type: command, command: "true"}]
)");
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 3); }));
  auto rs = runs("d");
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[2].run_id, "scheduled__2026-01-01T00:00:00+00:00");
  EXPECT_EQ(rs[0].run_id, "scheduled__2026-01-03T00:00:00+00:00");
  EXPECT_EQ(rs[0].interval.start, at("2026-01-03"));
  EXPECT_EQ(rs[0].interval.end, at("2026-01-04"));
  for (const auto& r : rs) EXPECT_EQ(r.state, run_state::success) << r.run_id;
  // Nothing more until the next interval has ended.
  clock_.advance(23h + 59min);
  ASSERT_TRUE(sched_->s->tick());
  EXPECT_EQ(runs("d").size(), 3u);
  clock_.advance(1min);
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 4); }));
  EXPECT_EQ(runs("d")[0].run_id, "scheduled__2026-01-04T00:00:00+00:00");
}

TEST_P(scheduler_test, without_catchup_only_the_latest_interval_runs) {
  load(R"(  - id: d
    schedule: "0 6 * * *"
    start_date: 2025-06-01
    tasks: [{id: t, type: command, command: "true"}]
)");
  clock_.set(at("2026-01-04T07:30:00Z"));
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 1); }));
  auto rs = runs("d");
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].interval.start, at("2026-01-03T06:00:00Z"));
  EXPECT_EQ(rs[0].interval.end, at("2026-01-04T06:00:00Z"));
  EXPECT_EQ(rs[0].logical_date, at("2026-01-03T06:00:00Z"));
}

TEST_P(scheduler_test, retries_wait_with_exponential_backoff_then_fail) {
  load(R"(  - id: d
    schedule: "@once"
    start_date: 2026-01-01
    default_args: {retries: 2, retry_delay: 10s, retry_exponential_backoff: true,
                   max_retry_delay: 15s}
    tasks: [{id: t, type: command, command: "echo try $SLUICE_TRY_NUMBER; exit 3"}]
)");
  const std::string run = "scheduled__2026-01-01T00:00:00+00:00";
  ASSERT_TRUE(run_until([&] {
    auto t = ti("d", run, "t");
    return t && t->state == task_state::up_for_retry;
  }));
  auto t = ti("d", run, "t");
  ASSERT_TRUE(t->next_try_at);
  // First retry: a wait in [10s, 20s), capped at 15s.
  const auto wait1 = *t->next_try_at - clock_.now();
  EXPECT_GE(wait1, 10s);
  EXPECT_LE(wait1, 15s);
  clock_.set(*t->next_try_at - 1ms);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sched_->s->tick());
  EXPECT_EQ(ti("d", run, "t")->state, task_state::up_for_retry);
  EXPECT_EQ(ti("d", run, "t")->try_number, 1);
  clock_.advance(1ms);
  ASSERT_TRUE(run_until([&] {
    auto x = ti("d", run, "t");
    return x && x->try_number == 2 && x->state == task_state::up_for_retry;
  }));
  // Second retry: [20s, 40s) capped at 15s.
  EXPECT_EQ(*ti("d", run, "t")->next_try_at - clock_.now(), 15s);
  clock_.advance(15s);
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 1); }));
  EXPECT_EQ(ti("d", run, "t")->state, task_state::failed);
  auto ts = tries("d", run, "t");
  ASSERT_EQ(ts.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ts[i].try_number, i + 1);
    EXPECT_EQ(ts[i].state, "failed");
    EXPECT_EQ(ts[i].reason, "exit status 3");
    EXPECT_NE(ts[i].log.find(fmt::format("try {}\n", i + 1)), std::string::npos) << ts[i].log;
  }
  EXPECT_EQ(runs("d")[0].state, run_state::failed);
}

TEST_P(scheduler_test, retry_waits_are_exact_without_backoff) {
  config::task_policy p{.retries = 3, .retry_delay = 7s};
  EXPECT_EQ(retry_wait(p, "k", 1), 7s);
  EXPECT_EQ(retry_wait(p, "k", 3), 7s);
  p.retry_exponential_backoff = true;
  p.max_retry_delay = 1h;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    const auto base = 7s * (1 << (attempt - 1));
    const auto w = retry_wait(p, "k", attempt);
    EXPECT_GE(w, base);
    EXPECT_LT(w, 2 * base);
    EXPECT_EQ(w, retry_wait(p, "k", attempt)) << "the jitter is deterministic";
  }
  p.max_retry_delay = 20s;
  EXPECT_EQ(retry_wait(p, "k", 4), 20s);
}

TEST_P(scheduler_test, execution_timeout_kills_the_command) {
  load(R"(  - id: d
    schedule: "@once"
    start_date: 2026-01-01
    tasks: [{id: t, type: command, command: "echo started; sleep 600", execution_timeout: 30s}]
)");
  const std::string run = "scheduled__2026-01-01T00:00:00+00:00";
  ASSERT_TRUE(run_until([&] {
    auto t = ti("d", run, "t");
    return t && t->state == task_state::running;
  }));
  clock_.advance(29s);
  ASSERT_TRUE(sched_->s->tick());
  EXPECT_EQ(ti("d", run, "t")->state, task_state::running);
  clock_.advance(1s);
  const auto wall = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 1); }));
  EXPECT_LT(std::chrono::steady_clock::now() - wall, 5s) << "SIGTERM should end sleep at once";
  auto ts = tries("d", run, "t");
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].reason, "timed out after 30s (execution_timeout)");
  EXPECT_EQ(ti("d", run, "t")->state, task_state::failed);
}

TEST_P(scheduler_test, a_failure_fails_downstream_and_a_skip_skips_it) {
  load(R"(  - id: d
    schedule: "@once"
    start_date: 2026-01-01
    tasks:
      - {id: a, type: command, command: "exit 1"}
      - {id: b, type: command, command: "true", upstream: [a]}
      - {id: c, type: command, command: "true", upstream: [b]}
      - {id: d, type: command, command: "true"}
      - {id: s, type: command, command: "exit 99"}
      - {id: code, type: command, command: "exit 130"}
      - {id: signal, type: command, command: "kill -INT $$"}
      - {id: after_skip, type: command, command: "true", upstream: [s, d]}
)");
  const std::string run = "scheduled__2026-01-01T00:00:00+00:00";
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 1); }));
  EXPECT_EQ(ti("d", run, "a")->state, task_state::failed);
  EXPECT_EQ(ti("d", run, "b")->state, task_state::upstream_failed);
  EXPECT_EQ(ti("d", run, "c")->state, task_state::upstream_failed);
  EXPECT_EQ(ti("d", run, "d")->state, task_state::success);
  EXPECT_EQ(ti("d", run, "s")->state, task_state::skipped);
  EXPECT_EQ(ti("d", run, "after_skip")->state, task_state::skipped);
  EXPECT_TRUE(tries("d", run, "b").empty());
  EXPECT_EQ(tries("d", run, "code")[0].reason, "exit status 130");
  EXPECT_EQ(tries("d", run, "signal")[0].reason, "killed by signal 2 (Interrupt)");
  EXPECT_EQ(runs("d")[0].state, run_state::failed);
}

TEST_P(scheduler_test, max_active_runs_holds_back_later_intervals) {
  load(R"(  - id: d
    schedule: "@hourly"
    start_date: 2026-01-03T20:00
    catchup: true
    max_active_runs: 1
    tasks: [{id: t, type: command, command: "true"}]
)");
  ASSERT_TRUE(sched_->s->tick());
  auto rs = runs("d");
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].logical_date, at("2026-01-03T20:00:00Z"));
  int64_t most_active = 0;
  ASSERT_TRUE(run_until([&] {
    most_active = std::max(most_active, *sched_->st->active_runs("d"));
    return all_runs_done("d", 4);
  }));
  EXPECT_EQ(most_active, 1);
  rs = runs("d");
  ASSERT_EQ(rs.size(), 4u);
  for (size_t i = 1; i < rs.size(); ++i) {
    EXPECT_LT(rs[i].logical_date, rs[i - 1].logical_date);
    EXPECT_EQ(rs[i].state, run_state::success);
  }
}

TEST_P(scheduler_test, paused_dags_get_no_runs_until_unpaused) {
  load(R"(  - id: d
    schedule: "@daily"
    paused: true
    tasks: [{id: t, type: command, command: "true"}]
)");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sched_->s->tick());
  EXPECT_TRUE(runs("d").empty());
  auto manual = sched_->s->trigger({.dag_id = "d"});
  ASSERT_TRUE(manual) << manual.error().to_string();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sched_->s->tick());
  EXPECT_EQ(runs("d")[0].state, run_state::queued) << "a paused DAG's runs wait";
  ASSERT_TRUE(sched_->st->set_paused("d", false));
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 2); }));
}

TEST_P(scheduler_test, pausing_holds_back_instances_already_scheduled) {
  parallelism_ = 1;
  load(R"(  - id: d
    tasks:
      - {id: a, type: command, command: "sleep 0.3"}
      - {id: b, type: command, command: "true"}
)");
  auto run = sched_->s->trigger({.dag_id = "d"});
  ASSERT_TRUE(run);
  std::string first, second;
  ASSERT_TRUE(run_until([&] {
    for (const char* t : {"a", "b"}) {
      auto x = ti("d", run->run_id, t);
      if (x && x->state == task_state::running) first = t;
    }
    return !first.empty();
  }));
  second = first == "a" ? "b" : "a";
  EXPECT_EQ(ti("d", run->run_id, second)->state, task_state::scheduled) << "no free slot yet";
  ASSERT_TRUE(sched_->st->set_paused("d", true));
  ASSERT_TRUE(run_until([&] { return ti("d", run->run_id, first)->state == task_state::success; }));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(sched_->s->tick());
  EXPECT_EQ(ti("d", run->run_id, second)->state, task_state::scheduled);
  EXPECT_TRUE(tries("d", run->run_id, second).empty());
  ASSERT_TRUE(sched_->st->set_paused("d", false));
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 1); }));
  EXPECT_EQ(runs("d")[0].state, run_state::success);
}

TEST_P(scheduler_test, trigger_with_conf_fills_templates_and_refuses_duplicates) {
  load(R"(  - id: d
    params: {who: nobody, n: "1"}
    tasks: [{id: t, type: command, command: "echo {{ params.who }} {{ params.n }} {{ ds }} $SLUICE_RUN_ID"}]
)");
  auto run = sched_->s->trigger(
      {.dag_id = "d", .logical_date = at("2026-01-02T03:04:05Z"), .conf = R"({"who": "alice"})"});
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->run_id, "manual__2026-01-02T03:04:05+00:00");
  EXPECT_EQ(run->type, run_type::manual);
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 1); }));
  auto ts = tries("d", run->run_id, "t");
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_NE(ts[0].log.find("alice 1 2026-01-02 manual__2026-01-02T03:04:05+00:00\n"),
            std::string::npos)
      << ts[0].log;
  auto again = sched_->s->trigger({.dag_id = "d", .logical_date = at("2026-01-02T03:04:05Z")});
  ASSERT_FALSE(again);
  EXPECT_TRUE(is(again.error(), errc::conflict)) << again.error().to_string();
  auto bad = sched_->s->trigger({.dag_id = "d", .conf = "[1]"});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(is(bad.error(), errc::bad_request));
  EXPECT_FALSE(sched_->s->trigger({.dag_id = "nope"}));
}

TEST_P(scheduler_test, unknown_template_variable_fails_the_try_with_its_name) {
  load(R"(  - id: d
    tasks: [{id: t, type: command, command: "echo {{ nope }}"}]
)");
  auto run = sched_->s->trigger({.dag_id = "d"});
  ASSERT_TRUE(run);
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 1); }));
  auto ts = tries("d", run->run_id, "t");
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_NE(ts[0].reason.find("unknown variable 'nope'"), std::string::npos) << ts[0].reason;
}

TEST_P(scheduler_test, backfill_creates_missing_intervals_only) {
  load(R"(  - id: d
    schedule: "@daily"
    start_date: 2025-12-01
    paused: true
    tasks: [{id: t, type: command, command: "true"}]
)");
  auto first = sched_->s->backfill("d", at("2025-12-01"), at("2025-12-03"));
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->size(), 3u);
  auto second = sched_->s->backfill("d", at("2025-12-02"), at("2025-12-05"));
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[0].run_id, "backfill__2025-12-04T00:00:00+00:00");
  ASSERT_TRUE(sched_->st->set_paused("d", false));
  // Without catchup the scheduler continues after the latest backfilled interval.
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 6); }));
  EXPECT_EQ(runs("d")[0].run_id, "scheduled__2026-01-03T00:00:00+00:00");
  EXPECT_FALSE(sched_->s->backfill("d", at("2025-12-05"), at("2025-12-01")));
  auto bad = sched_->s->backfill("d", at("2025-11-01"), at("2025-11-02"), "nope");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(is(bad.error(), errc::bad_request)) << bad.error().to_string();
}

TEST_P(scheduler_test, a_dead_scheduler_tries_are_taken_over_once) {
  load(R"(  - id: d
    schedule: "@once"
    start_date: 2026-01-01
    tasks:
      - {id: slow, type: command, command: "test $SLUICE_TRY_NUMBER -ge 2 || sleep 600"}
      - {id: quick, type: command, command: "true"}
)");
  const std::string run = "scheduled__2026-01-01T00:00:00+00:00";
  ASSERT_TRUE(run_until([&] {
    auto t = ti("d", run, "slow");
    auto q = ti("d", run, "quick");
    return t && t->state == task_state::running && q && q->state == task_state::success;
  }));
  // The first scheduler dies: nothing it does from now on reaches the database.
  sched_->ex->shutdown();
  sched_->ex->take_finished();
  auto dead = std::move(sched_);
  sched_ = start_scheduler("s2");
  ASSERT_TRUE(sched_);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sched_->s->tick());
  EXPECT_EQ(ti("d", run, "slow")->try_number, 1) << "still within the heartbeat timeout";
  clock_.advance(31s);
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 1); }));
  auto ts = tries("d", run, "slow");
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].state, "failed");
  EXPECT_EQ(ts[0].scheduler_id, "s1");
  EXPECT_NE(ts[0].reason.find("its scheduler s1 stopped"), std::string::npos) << ts[0].reason;
  EXPECT_EQ(ts[1].state, "success");
  EXPECT_EQ(ts[1].scheduler_id, "s2");
  EXPECT_EQ(tries("d", run, "quick").size(), 1u);
  EXPECT_EQ(runs("d").size(), 1u);
  EXPECT_EQ(runs("d")[0].state, run_state::success);
}

TEST_P(scheduler_test, two_schedulers_never_run_a_try_twice) {
  std::string yaml = R"(  - id: d
    tasks:
)";
  for (int i = 0; i < 60; ++i) {
    yaml += fmt::format("      - {{id: t{}, type: command, command: \"true\"}}\n", i);
  }
  load(yaml);
  auto second = start_scheduler("s2");
  ASSERT_TRUE(second);
  auto run = sched_->s->trigger({.dag_id = "d"});
  ASSERT_TRUE(run);
  std::atomic<bool> done = false;
  auto drive = [&](instance* in) {
    for (int i = 0; i < 400 && !done.load(); ++i) {
      auto r = in->s->tick();
      if (!r && !is(r.error(), errc::metadata)) ADD_FAILURE() << r.error().to_string();
      in->ex->wait(20ms);
    }
  };
  std::thread other([&] { drive(second.get()); });
  ASSERT_TRUE(run_until([&] { return all_runs_done("d", 1); }));
  done = true;
  other.join();
  std::set<std::string> by;
  for (int i = 0; i < 60; ++i) {
    auto ts = tries("d", run->run_id, fmt::format("t{}", i));
    ASSERT_EQ(ts.size(), 1u) << "t" << i;
    EXPECT_EQ(ts[0].try_number, 1);
    EXPECT_EQ(ts[0].state, "success");
    by.insert(ts[0].scheduler_id);
  }
  EXPECT_EQ(runs("d")[0].state, run_state::success);
}

INSTANTIATE_TEST_SUITE_P(backends, scheduler_test,
                         ::testing::Values(backend::sqlite, backend::postgresql),
                         [](const auto& info) {
                           return info.param == backend::sqlite ? "sqlite" : "postgresql";
                         });

}  // namespace
}  // namespace sluice::orchestrator
