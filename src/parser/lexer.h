// The CQL lexer: statement text into tokens, each with its line and column for error messages.
//
// Identifiers are case-insensitive (folded to lower case) unless double-quoted ("MyCol", with ""
// for a quote); keywords are identifiers the parser recognizes, so `key` and `type` stay usable as
// column names. Literals: 'strings' ('' for a quote) and $$strings$$, integers, floats (with
// exponent, NaN, Infinity), UUIDs, 0x blobs. Bind markers: `?` and `:name`. Comments: `--` and
// `//` to the end of the line, `/* ... */`. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::parser {

enum class errc { ok = 0, syntax, invalid };
std::string_view describe(errc e);
std::string_view category_name(errc);

enum class token_kind {
  identifier,  // folded to lower case; `quoted` tells "Quoted" ones apart
  string,      // the text, unescaped
  integer,     // as written, with its sign if the lexer saw one attached
  floating,
  uuid,
  blob,        // 0x..., as written
  bind,        // ?
  named_bind,  // :name (text is the name)
  symbol,      // ( ) , ; . * = < > <= >= != [ ] { } : + -
  end,
};

struct token {
  token_kind kind = token_kind::end;
  std::string text;
  bool quoted = false;  // a "double-quoted" identifier
  int line = 1;
  int column = 1;

  [[nodiscard]] bool is_symbol(std::string_view s) const {
    return kind == token_kind::symbol && text == s;
  }
  // An unquoted identifier equal to `keyword` (given in lower case).
  [[nodiscard]] bool is_keyword(std::string_view keyword) const {
    return kind == token_kind::identifier && !quoted && text == keyword;
  }
};

// All tokens of `text`, ending with one of kind `end`; or a syntax error naming the line, the
// column and what was found there.
result<std::vector<token>> tokenize(std::string_view text);

}  // namespace sluice::parser
