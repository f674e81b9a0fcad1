#include "cli/plan.h"

#include <gtest/gtest.h>

namespace sluice::cli {
namespace {

std::vector<std::string> names(const std::vector<planned_part>& parts) {
  std::vector<std::string> out;
  out.reserve(parts.size());
  for (const auto& p : parts) out.push_back(p.name);
  return out;
}

TEST(plan, reference_pipeline_starts_dependencies_first) {
  const auto parts = plan(config::reference());
  EXPECT_EQ(names(parts), (std::vector<std::string>{"broker", "store", "api", "process/users",
                                                    "scheduler", "ingest/users", "http"}));
  EXPECT_EQ(parts[0].endpoint, "127.0.0.1:9092");
  EXPECT_EQ(parts[0].detail, "data ./sluice-data/broker");
  EXPECT_EQ(
      parts[3].detail,
      "topic users_created -> spark_streams.created_users (group sluice-users, from earliest)");
  EXPECT_EQ(parts[4].detail, "user_automation (@daily, 1 task)");
  EXPECT_EQ(parts[5].detail, "-> topic users_created on 127.0.0.1:9092, 1m per run");
}

TEST(plan, external_clusters_replace_embedded_parts) {
  config::config c = config::reference();
  c.kafka.bootstrap = {{"k1", 9092}, {"k2", 9092}};
  c.cassandra.contact_points = {{"c1", 9042}};
  c.api.enabled = false;
  const auto parts = plan(c);
  EXPECT_EQ(names(parts),
            (std::vector<std::string>{"process/users", "scheduler", "ingest/users", "http"}));
  EXPECT_EQ(parts[0].endpoint, "k1:9092,k2:9092 -> c1:9042");
}

TEST(plan, format_aligns_columns) {
  const std::string text =
      format_plan({{"a", "role one", "x:1", "d1"}, {"longer", "r", "host:2", ""}});
  EXPECT_EQ(text,
            "  a       role one  x:1     d1\n"
            "  longer  r         host:2\n");
}

}  // namespace
}  // namespace sluice::cli
