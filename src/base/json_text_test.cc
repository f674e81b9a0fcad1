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

// Every position of an escaped character within and across the eight-byte blocks, against a
// byte-at-a-time reference.
TEST(JsonText, EscapesAtEveryPositionOfLongText) {
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"') {
        out += "\\\"";
      } else if (c == '\\') {
        out += "\\\\";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20) {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    return out + "\"";
  };
  const std::string base = "abcdefghijklmnopqrstuvwxyz\xc3\xa9\xe6\x9d\xb1\x7f 0123456789";
  for (size_t len = 0; len <= base.size(); ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\0'}) {
        std::string s = base.substr(0, len);
        s[at] = special;
        std::string out;
        append_json_string(out, s);
        ASSERT_EQ(out, reference(s)) << "length " << len << ", at " << at;
      }
    }
    std::string out;
    append_json_string(out, base.substr(0, len));
    ASSERT_EQ(out, reference(base.substr(0, len)));
  }
}

}  // namespace
}  // namespace sluice
