#include "base/json_text.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

std::string quoted(std::string_view s) {
  std::string out = "x";  // appends, never replaces
  append_json_string(out, s);
  return out;
}

TEST(JsonText, PlainTextIsQuotedAsItIs) {
  EXPECT_EQ(quoted(""), "x\"\"");
  EXPECT_EQ(quoted("Zoë Çörekçi 東京"), "x\"Zoë Çörekçi 東京\"");
}

TEST(JsonText, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(quoted("a\"b\\c"), "x\"a\\\"b\\\\c\"");
  EXPECT_EQ(quoted("\n\r\t"), "x\"\\n\\r\\t\"");
  EXPECT_EQ(quoted(std::string_view("\x00\x01\x1f", 3)), "x\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(quoted("\x7f"), "x\"\x7f\"");  // DEL needs no escape in JSON
  EXPECT_EQ(quoted("ab\"cd\"ef"), "x\"ab\\\"cd\\\"ef\"");
}

}  // namespace
}  // namespace sluice
