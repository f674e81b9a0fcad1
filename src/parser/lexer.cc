#include "parser/lexer.h"

#include <cctype>

#include <fmt/format.h>

namespace sluice::parser {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::syntax: return "syntax error";
    case errc::invalid: return "invalid request";
  }
  return "unknown";
}
std::string_view category_name(errc) { return "cql"; }

namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// 8-4-4-4-12 hex digits at `s`.
bool uuid_at(std::string_view s) {
  if (s.size() < 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !hex(s[i])) return false;
  }
  return s.size() == 36 || !ident_char(s[36]);
}

class lexer {
 public:
  explicit lexer(std::string_view text) : s_(text) {}

  result<std::vector<token>> run() {
    std::vector<token> out;
    for (;;) {
      SLUICE_TRY(skip_space_and_comments());
      token t;
      t.line = line_;
      t.column = column();
      if (i_ >= s_.size()) {
        out.push_back(std::move(t));
        return out;
      }
      SLUICE_TRY(next(t));
      out.push_back(std::move(t));
    }
  }

 private:
  int column() const { return static_cast<int>(i_ - line_start_) + 1; }

  std::unexpected<error> fail(std::string what) const {
    return make_error(errc::syntax, fmt::format("line {}:{} {}", line_, column(), what));
  }

  void advance(size_t n = 1) {
    for (size_t k = 0; k < n && i_ < s_.size(); ++k) {
      if (s_[i_] == '\n') {
        ++line_;
        line_start_ = i_ + 1;
      }
      ++i_;
    }
  }

  result<void> skip_space_and_comments() {
    while (i_ < s_.size()) {
      const std::string_view rest = s_.substr(i_);
      if (std::isspace(static_cast<unsigned char>(rest[0]))) {
        advance();
      } else if (rest.starts_with("--") || rest.starts_with("//")) {
        while (i_ < s_.size() && s_[i_] != '\n') advance();
      } else if (rest.starts_with("/*")) {
        const auto end = rest.find("*/", 2);
        if (end == std::string_view::npos) return fail("unterminated comment");
        advance(end + 2);
      } else {
        return {};
      }
    }
    return {};
  }

  result<void> next(token& t) {
    const std::string_view rest = s_.substr(i_);
    const char c = rest[0];
    if (uuid_at(rest)) {
      t.kind = token_kind::uuid;
      t.text = std::string(rest.substr(0, 36));
      advance(36);
      return {};
    }
    if (rest.size() > 1 && c == '0' && (rest[1] == 'x' || rest[1] == 'X')) {
      size_t n = 2;
      while (n < rest.size() && hex(rest[n])) ++n;
      t.kind = token_kind::blob;
      t.text = std::string(rest.substr(0, n));
      advance(n);
      return {};
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '-' && rest.size() > 1 && std::isdigit(static_cast<unsigned char>(rest[1])))) {
      return number(t);
    }
    if (ident_start(c)) {
      size_t n = 1;
      while (n < rest.size() && ident_char(rest[n])) ++n;
      t.kind = token_kind::identifier;
      t.text = std::string(rest.substr(0, n));
      for (auto& ch : t.text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      // NaN and Infinity are float literals wherever a term is expected.
      if (t.text == "nan" || t.text == "infinity") t.kind = token_kind::floating;
      advance(n);
      return {};
    }
    if (c == '"') return quoted(t, '"', token_kind::identifier);
    if (c == '\'') return quoted(t, '\'', token_kind::string);
    if (rest.starts_with("$$")) {
      const auto end = rest.find("$$", 2);
      if (end == std::string_view::npos) return fail("unterminated $$ string");
      t.kind = token_kind::string;
      t.text = std::string(rest.substr(2, end - 2));
      advance(end + 2);
      return {};
    }
    if (c == ':' && rest.size() > 1 && (ident_start(rest[1]) || rest[1] == '"')) {
      advance();
      token name;
      if (rest[1] == '"') {
        SLUICE_TRY(quoted(name, '"', token_kind::identifier));
      } else {
        SLUICE_TRY(next(name));
      }
      t.kind = token_kind::named_bind;
      t.text = std::move(name.text);
      return {};
    }
    if (c == '?') {
      t.kind = token_kind::bind;
      t.text = "?";
      advance();
      return {};
    }
    for (std::string_view two : {"<=", ">=", "!="}) {
      if (rest.starts_with(two)) {
        t.kind = token_kind::symbol;
        t.text = std::string(two);
        advance(2);
        return {};
      }
    }
    if (std::string_view("(),;.*=<>[]{}:+-").find(c) != std::string_view::npos) {
      t.kind = token_kind::symbol;
      t.text = std::string(1, c);
      advance();
      return {};
    }
    return fail(fmt::format("unexpected character '{}'", c));
  }

  result<void> number(token& t) {
    const std::string_view rest = s_.substr(i_);
    size_t n = rest[0] == '-' ? 1 : 0;
    while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n]))) ++n;
    bool floating = false;
    if (n + 1 < rest.size() && rest[n] == '.' &&
        std::isdigit(static_cast<unsigned char>(rest[n + 1]))) {
      floating = true;
      ++n;
      while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n]))) ++n;
    }
    if (n < rest.size() && (rest[n] == 'e' || rest[n] == 'E')) {
      size_t m = n + 1;
      if (m < rest.size() && (rest[m] == '+' || rest[m] == '-')) ++m;
      if (m < rest.size() && std::isdigit(static_cast<unsigned char>(rest[m]))) {
        floating = true;
        n = m;
        while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n]))) ++n;
      }
    }
    if (n < rest.size() && ident_char(rest[n])) {
      return fail(fmt::format("malformed number '{}'", rest.substr(0, n + 1)));
    }
    t.kind = floating ? token_kind::floating : token_kind::integer;
    t.text = std::string(rest.substr(0, n));
    advance(n);
    return {};
  }

  result<void> quoted(token& t, char q, token_kind kind) {
    std::string text;
    size_t n = 1;
    const std::string_view rest = s_.substr(i_);
    for (;;) {
      if (n >= rest.size()) {
        return fail(kind == token_kind::string ? "unterminated string" : "unterminated identifier");
      }
      if (rest[n] == q) {
        if (n + 1 < rest.size() && rest[n + 1] == q) {
          text.push_back(q);
          n += 2;
          continue;
        }
        break;
      }
      text.push_back(rest[n++]);
    }
    t.kind = kind;
    t.text = std::move(text);
    t.quoted = kind == token_kind::identifier;
    advance(n + 1);
    return {};
  }

  std::string_view s_;
  size_t i_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
};

}  // namespace

result<std::vector<token>> tokenize(std::string_view text) { return lexer(text).run(); }

}  // namespace sluice::parser
