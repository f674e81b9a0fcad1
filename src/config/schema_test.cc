#include "config/schema.h"

#include <gtest/gtest.h>

namespace sluice::config::schema {
namespace {

using namespace std::chrono_literals;

TEST(schema, parse_duration) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("60s"), 60s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("2d"), 48h);
  EXPECT_EQ(parse_duration("0s"), 0ms);
  for (const char* bad : {"", "60", "s", "1x", "-1s", "1.5s", "1h 30m", "99999999999999999d"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(schema, render_duration_is_the_shortest_exact_form) {
  EXPECT_EQ(render(60'000ms), "1m");
  EXPECT_EQ(render(90s), "90s");
  EXPECT_EQ(render(2h), "2h");
  EXPECT_EQ(render(1500ms), "1500ms");
  EXPECT_EQ(render(0ms), "0s");
  for (std::chrono::milliseconds d : {1ms, 1000ms, 61000ms, 10800000ms, 86400001ms}) {
    EXPECT_EQ(parse_duration(render(d)), d);
  }
}

TEST(schema, join_names) {
  std::array<std::string_view, 3> names{"a", "b", "c"};
  EXPECT_EQ(join_names(names), "a, b or c");
  EXPECT_EQ(join_names(std::span(names).first(1)), "a");
}

}  // namespace
}  // namespace sluice::config::schema
