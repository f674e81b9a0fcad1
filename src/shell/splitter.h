// Splits what a user types or a script holds into statements: a statement ends at a ';' outside
// string literals ('...' with '' escapes, $$...$$), quoted names ("..."), and comments (-- and //
// to the end of the line, /* ... */). Shell commands (DESCRIBE, EXIT, QUIT, HELP) may also end at
// the end of their line, as in cqlsh. Pure; not thread-safe (one splitter per input).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::shell {

class statement_splitter {
 public:
  // Adds one line (without its newline).
  void feed(std::string_view line);
  // The statements completed so far (trimmed, without the ';'), oldest first.
  std::vector<std::string> take();
  // Whether a statement has begun and not ended (the prompt shows a continuation).
  [[nodiscard]] bool pending() const;
  // The unfinished statement, if any, as one more statement (at the end of a script).
  std::vector<std::string> finish();

 private:
  enum class state { code, single_quote, double_quote, dollar, block_comment };
  std::string current_;
  std::vector<std::string> done_;
  state state_ = state::code;
};

// A statement's first word, in lower case ("select", "describe").
std::string first_word(std::string_view statement);

// Whether a statement is a shell command rather than CQL for the server.
bool is_shell_command(std::string_view statement);

}  // namespace sluice::shell
