#include "shell/splitter.h"

#include <algorithm>
#include <cctype>

namespace sluice::shell {
namespace {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// Whether a batch's text ends with APPLY BATCH (any case and spacing).
bool ends_batch(std::string_view s) {
  std::string words;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!words.empty() && words.back() != ' ') words.push_back(' ');
    } else {
      words.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  while (!words.empty() && words.back() == ' ') words.pop_back();
  return words.ends_with("apply batch");
}

}  // namespace

std::string first_word(std::string_view s) {
  std::string w;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ';') {
      if (!w.empty()) break;
      continue;
    }
    w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return w;
}

bool is_shell_command(std::string_view statement) {
  const std::string w = first_word(statement);
  return w == "describe" || w == "desc" || w == "exit" || w == "quit" || w == "help";
}

void statement_splitter::feed(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    const char next = i + 1 < line.size() ? line[i + 1] : '\0';
    switch (state_) {
      case state::code:
        // Inside BEGIN BATCH ... APPLY BATCH, the statements' own ';' do not end it.
        if (c == ';' && first_word(current_) == "begin" && !ends_batch(current_)) {
          current_.push_back(c);
          continue;
        }
        if (c == ';') {
          std::string s = trim(current_);
          if (!s.empty()) done_.push_back(std::move(s));
          current_.clear();
          continue;
        }
        if ((c == '-' && next == '-') || (c == '/' && next == '/')) {
          i = line.size();  // the rest of the line is a comment
          continue;
        }
        if (c == '/' && next == '*') {
          state_ = state::block_comment;
          ++i;
          continue;
        }
        if (c == '\'') state_ = state::single_quote;
        if (c == '"') state_ = state::double_quote;
        if (c == '$' && next == '$') {
          state_ = state::dollar;
          current_ += "$$";
          ++i;
          continue;
        }
        current_.push_back(c);
        break;
      case state::single_quote:
        current_.push_back(c);
        if (c == '\'') {
          if (next == '\'') {
            current_.push_back(next);
            ++i;
          } else {
            state_ = state::code;
          }
        }
        break;
      case state::double_quote:
        current_.push_back(c);
        if (c == '"') {
          if (next == '"') {
            current_.push_back(next);
            ++i;
          } else {
            state_ = state::code;
          }
        }
        break;
      case state::dollar:
        current_.push_back(c);
        if (c == '$' && next == '$') {
          current_.push_back(next);
          ++i;
          state_ = state::code;
        }
        break;
      case state::block_comment:
        if (c == '*' && next == '/') {
          state_ = state::code;
          ++i;
        }
        break;
    }
  }
  if (state_ != state::block_comment) current_.push_back('\n');
  // A shell command needs no ';': it ends with its line.
  if (state_ == state::code && is_shell_command(current_)) {
    std::string s = trim(current_);
    if (!s.empty()) done_.push_back(std::move(s));
    current_.clear();
  }
}

std::vector<std::string> statement_splitter::take() {
  std::vector<std::string> out;
  out.swap(done_);
  return out;
}

bool statement_splitter::pending() const {
  return !trim(current_).empty() || state_ != state::code;
}

std::vector<std::string> statement_splitter::finish() {
  std::vector<std::string> out = take();
  std::string s = trim(current_);
  if (!s.empty()) out.push_back(std::move(s));
  current_.clear();
  state_ = state::code;
  return out;
}

}  // namespace sluice::shell
