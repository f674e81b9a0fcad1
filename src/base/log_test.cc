#include "base/log.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(log, parse_level_and_format) {
  EXPECT_EQ(*log::parse_level("debug"), log::level::debug);
  EXPECT_EQ(*log::parse_level("off"), log::level::off);
  auto bad = log::parse_level("verbose");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("'verbose'"), std::string::npos);
  EXPECT_EQ(*log::parse_format("json"), log::format::json);
  EXPECT_FALSE(log::parse_format("xml").has_value());
  EXPECT_EQ(log::to_string(log::level::warn), "warn");
}

TEST(log, json_lines_escape_the_message) {
  log::setup(log::level::info, log::format::json);
  auto lg = log::get("test");
  testing::internal::CaptureStderr();
  lg->info("say \"hi\"\\ {}\n", "now\t");
  lg->debug("hidden at info level");
  lg->flush();
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find(R"("level":"info","module":"test","msg":"say \"hi\"\\ now\t\n"})"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line per record";
}

TEST(log, json_lines_stay_valid_utf8) {
  log::setup(log::level::info, log::format::json);
  auto lg = log::get("test3");
  testing::internal::CaptureStderr();
  // Valid two- and three-byte sequences pass; a lone continuation byte, a truncated sequence, an
  // overlong encoding and a control character do not.
  lg->info("caf\xc3\xa9 \xe2\x82\xac \x80 \xe2\x82 \xc0\xaf \x01");
  lg->flush();
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(
      out.find(
          "\"msg\":\"caf\xc3\xa9 \xe2\x82\xac \\ufffd \\ufffd\\ufffd \\ufffd\\ufffd \\u0001\"}"),
      std::string::npos)
      << out;
}

TEST(log, level_applies_to_existing_loggers) {
  auto lg = log::get("test2");
  log::setup(log::level::error, log::format::text);
  testing::internal::CaptureStderr();
  lg->warn("not shown");
  lg->error("shown");
  lg->flush();
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("not shown"), std::string::npos);
  EXPECT_NE(out.find("[test2] shown"), std::string::npos) << out;
}

}  // namespace
}  // namespace sluice
