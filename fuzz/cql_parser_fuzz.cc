// The CQL lexer and parser on arbitrary text: every input is a statement or a syntax error, never
// a crash, a hang or a read past the text. Bind markers counted match the names recorded.
#include <cstdlib>
#include <string_view>

#include "parser/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto s = sluice::parser::parse(text)) {
    if (s->bind_count != static_cast<int>(s->bind_names.size())) std::abort();
  }
  return 0;
}
