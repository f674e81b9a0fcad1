#include "orchestrator/model.h"

#include <gtest/gtest.h>

namespace sluice::orchestrator {
namespace {

TEST(model, compiles_upstreams_into_a_topological_order) {
  std::vector<config::dag> dags{config::dag{
      .id = "d",
      .schedule = "@daily",
      .default_args = {.retries = 2},
      .tasks = {config::task{.id = "c", .command = "x", .upstream = {"b"}},
                config::task{.id = "a", .command = "x"},
                config::task{.id = "b", .command = "x", .upstream = {"a"}, .retries = 5}}}};
  auto c = compile(dags);
  ASSERT_TRUE(c) << c.error().message;
  const auto& d = c->front();
  ASSERT_EQ(d.order.size(), 3u);
  EXPECT_EQ(d.tasks[d.order[0]].id, "a");
  EXPECT_EQ(d.tasks[d.order[1]].id, "b");
  EXPECT_EQ(d.tasks[d.order[2]].id, "c");
  EXPECT_EQ(d.task("a")->policy.retries, 2);
  EXPECT_EQ(d.task("b")->policy.retries, 5);
  EXPECT_EQ(d.timetable.type(), schedule::timetable::kind::cron);
}

TEST(model, refuses_cycles_and_unknown_upstreams) {
  std::vector<config::dag> cyc{
      config::dag{.id = "d",
                  .tasks = {config::task{.id = "a", .command = "x", .upstream = {"b"}},
                            config::task{.id = "b", .command = "x", .upstream = {"a"}}}}};
  auto c = compile(cyc);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "DAG d: dependency cycle");
  std::vector<config::dag> unknown{
      config::dag{.id = "d", .tasks = {config::task{.id = "a", .upstream = {"zz"}}}}};
  EXPECT_EQ(compile(unknown).error().message, "DAG d: task a: unknown upstream 'zz'");
  std::vector<config::dag> bad_cron{config::dag{.id = "d", .schedule = "61 * * * *"}};
  EXPECT_FALSE(compile(bad_cron));
}

TEST(model, run_ids_and_state_names_are_airflows) {
  EXPECT_EQ(make_run_id(run_type::scheduled, *schedule::parse_iso("2026-11-23")),
            "scheduled__2026-11-23T00:00:00+00:00");
  for (auto s : {task_state::none, task_state::scheduled, task_state::queued, task_state::running,
                 task_state::success, task_state::failed, task_state::up_for_retry,
                 task_state::upstream_failed, task_state::skipped}) {
    EXPECT_EQ(parse_task_state(name(s)), s);
  }
  EXPECT_EQ(name(task_state::up_for_retry), "up_for_retry");
  EXPECT_FALSE(parse_task_state("done"));
}

}  // namespace
}  // namespace sluice::orchestrator
