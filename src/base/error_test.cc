#include "base/error.h"

#include <gtest/gtest.h>

#include <fcntl.h>

namespace sluice {
namespace {

result<int> parse_positive(int v) {
  if (v <= 0) return make_error(errc::invalid_argument, "must be positive");
  return v;
}

result<int> doubled(int v) {
  int x = SLUICE_TRY(parse_positive(v));
  return 2 * x;
}

result<void> check(int v) {
  SLUICE_TRY(parse_positive(v));
  return {};
}

TEST(error, try_propagates_and_yields) {
  EXPECT_EQ(*doubled(4), 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(is(bad.error(), errc::invalid_argument));
  EXPECT_FALSE(is(bad.error(), errc::short_buffer));
  EXPECT_TRUE(check(1).has_value());
  EXPECT_FALSE(check(0).has_value());
}

TEST(error, message_context_and_category) {
  auto e = make_error(errc::short_buffer, "need 4 bytes").error();
  EXPECT_EQ(std::string(e.code.category().name()), "base");
  EXPECT_EQ(e.code.message(), "short buffer");
  auto wrapped = std::move(e).with_context("reading header");
  EXPECT_EQ(wrapped.message, "reading header: need 4 bytes");
  EXPECT_EQ(wrapped.to_string(), "base: reading header: need 4 bytes");
}

TEST(error, errno_error_names_the_cause) {
  int fd = open("/nonexistent/sluice", O_RDONLY);
  ASSERT_LT(fd, 0);
  auto e = errno_error("open /nonexistent/sluice").error();
  EXPECT_EQ(e.code, std::error_code(ENOENT, std::system_category()));
  EXPECT_EQ(e.message, "open /nonexistent/sluice: No such file or directory");
}

}  // namespace
}  // namespace sluice
