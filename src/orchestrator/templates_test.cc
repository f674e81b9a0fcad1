#include "orchestrator/templates.h"

#include <gtest/gtest.h>

namespace sluice::orchestrator {
namespace {

try_context context() {
  try_context c;
  c.dag_id = "user_automation";
  c.task.id = "stream";
  c.claim.try_number = 2;
  c.run.run_id = "scheduled__2026-11-23T00:00:00+00:00";
  c.run.logical_date = *schedule::parse_iso("2026-11-23T00:00:00Z");
  c.run.interval = {c.run.logical_date, *schedule::parse_iso("2026-11-24T00:00:00Z")};
  c.run.conf = R"({"limit": 5, "who": "bob"})";
  c.params = {{"who", "alice"}, {"table", "users"}};
  return c;
}

TEST(templates, fills_airflow_variables) {
  auto vars = variables_of(context());
  ASSERT_TRUE(vars);
  auto r = render_template(
      "{{ds}} {{ ds_nodash }} {{ ts }} {{ ts_nodash }} {{ data_interval_end }} {{ run_id }} "
      "{{ dag_id }}.{{ task_id }}#{{ try_number }}",
      *vars);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r,
            "2026-11-23 20261123 2026-11-23T00:00:00+00:00 20261123T000000 "
            "2026-11-24T00:00:00+00:00 scheduled__2026-11-23T00:00:00+00:00 "
            "user_automation.stream#2");
}

TEST(templates, conf_overrides_params) {
  auto vars = variables_of(context());
  ASSERT_TRUE(vars);
  EXPECT_EQ(*render_template("{{ params.who }} {{ params.table }} {{ conf.limit }} "
                             "{{ dag_run.conf.who }}",
                             *vars),
            "bob users 5 bob");
}

TEST(templates, errors_name_the_problem) {
  auto vars = variables_of(context());
  ASSERT_TRUE(vars);
  auto unknown = render_template("x {{ params.nope }}", *vars);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown variable 'params.nope'"), std::string::npos);
  auto open = render_template("x {{ ds ", *vars);
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().message.find("never closed"), std::string::npos);
  EXPECT_EQ(*render_template("no templates } here {", *vars), "no templates } here {");
  auto c = context();
  c.run.conf = "[1, 2]";
  EXPECT_FALSE(variables_of(c));
}

TEST(templates, environment_has_sluice_and_airflow_names) {
  auto c = context();
  c.task.env = {{"EXTRA", "1"}, {"SLUICE_DS", "overridden"}};
  auto vars = variables_of(c);
  ASSERT_TRUE(vars);
  auto env = environment_of(c, *vars);
  EXPECT_EQ(env["SLUICE_DAG_ID"], "user_automation");
  EXPECT_EQ(env["AIRFLOW_CTX_DAG_RUN_ID"], "scheduled__2026-11-23T00:00:00+00:00");
  EXPECT_EQ(env["SLUICE_TRY_NUMBER"], "2");
  EXPECT_EQ(env["EXTRA"], "1");
  EXPECT_EQ(env["SLUICE_DS"], "overridden");
}

TEST(log_buffer, keeps_head_and_tail_of_long_output) {
  log_buffer log(8192);
  log.append("HEAD");
  for (int i = 0; i < 10'000; ++i) log.append("0123456789");
  log.append("TAIL");
  const std::string t = log.text();
  EXPECT_LE(t.size(), 8192u + 100);
  EXPECT_TRUE(t.starts_with("HEAD"));
  EXPECT_TRUE(t.ends_with("TAIL"));
  EXPECT_NE(t.find("bytes of output left out"), std::string::npos);
}

}  // namespace
}  // namespace sluice::orchestrator
