#include "base/json_text.h"

#include <cstdint>
#include <cstring>

namespace sluice {
namespace {

constexpr uint64_t ones = 0x0101010101010101ULL;
constexpr uint64_t highs = 0x8080808080808080ULL;

// Whether any of the 8 bytes in `w` is a control character, '"' or '\\' (the bit tricks of
// "Bit Twiddling Hacks": a byte below n, a byte equal to zero). UTF-8 bytes (0x80 and up) never
// match.
bool needs_escape(uint64_t w) {
  const uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  const uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  const uint64_t quote = (q - ones) & ~q & highs;
  const uint64_t backslash = (b - ones) & ~b & highs;
  return (below_space | quote | backslash) != 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t plain = 0;  // start of the run of characters not yet copied
  size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {  // eight plain characters at a time, the common case
      uint64_t w;
      std::memcpy(&w, s.data() + i, sizeof w);
      if (!needs_escape(w)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s.data() + plain, i - plain);
    plain = ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0x0F]);
      }
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out.push_back('"');
}

}  // namespace sluice
