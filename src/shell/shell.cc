#include "shell/shell.h"

#include <histedit.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "shell/describe.h"
#include "shell/splitter.h"

namespace sluice::shell {
namespace {

constexpr std::string_view help_text =
    "CQL statements end with ';' and go to the server: CREATE, ALTER, DROP, USE, INSERT, UPDATE,\n"
    "DELETE, SELECT, BEGIN BATCH ... APPLY BATCH, TRUNCATE.\n"
    "Shell commands:\n"
    "  DESCRIBE KEYSPACES | TABLES | KEYSPACE [k] | TABLE [k.]t   the schema, as CQL\n"
    "  EXIT | QUIT                                                 leave the shell\n"
    "  HELP                                                        this text\n";

std::string error_text(const error& e) {
  // The server's errors carry its exception name, as drivers show them.
  if (e.code.category().name() == std::string_view("cql")) {
    return fmt::format("{}: {}", e.code.message(), e.message);
  }
  return e.message;
}

// libedit state for one interactive session.
struct line_editor {
  EditLine* el = nullptr;
  History* hist = nullptr;
  HistEvent ev{};
  std::string history_file;
  static inline std::string prompt_text;

  static char* prompt(EditLine*) { return prompt_text.data(); }

  line_editor() {
    el = el_init("sluice", stdin, stdout, stderr);
    hist = history_init();
    history(hist, &ev, H_SETSIZE, 1000);
    history(hist, &ev, H_SETUNIQUE, 1);
    el_set(el, EL_PROMPT, &line_editor::prompt);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_HIST, history, hist);
    el_set(el, EL_SIGNAL, 1);
    if (const char* home = std::getenv("HOME")) {
      history_file = std::string(home) + "/.sluice_cql_history";
      history(hist, &ev, H_LOAD, history_file.c_str());
    }
  }
  ~line_editor() {
    if (!history_file.empty()) history(hist, &ev, H_SAVE, history_file.c_str());
    history_end(hist);
    el_end(el);
  }
  // A line without its newline, or nullopt at end of input.
  std::optional<std::string> read(const std::string& p) {
    prompt_text = p;
    int count = 0;
    const char* line = el_gets(el, &count);
    if (!line || count <= 0) return std::nullopt;
    std::string s(line, static_cast<size_t>(count));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  void remember(const std::string& statement) { history(hist, &ev, H_ENTER, statement.c_str()); }
};

line_editor* editor = nullptr;  // while run_interactive() runs

}  // namespace

shell::shell(cql::session& s, shell_options o, std::ostream& out, std::ostream& err)
    : session_(s), options_(std::move(o)), out_(out), err_(err), keyspace_(options_.keyspace) {}

bool shell::run(const std::string& statement) {
  const std::string w = first_word(statement);
  if (w == "exit" || w == "quit") {
    exit_ = true;
    return true;
  }
  if (w == "help") {
    out_ << help_text;
    return true;
  }
  if (w == "describe" || w == "desc") {
    auto text = describe(session_, statement, keyspace_);
    if (!text) {
      err_ << error_text(text.error()) << "\n";
      return false;
    }
    out_ << *text;
    out_.flush();
    return true;
  }
  return run_query(statement);
}

bool shell::more_wanted() {
  if (!editor) return true;
  auto line = editor->read("---MORE--- (Enter for more, q to stop) ");
  return line && (line->empty() || (*line)[0] != 'q');
}

bool shell::run_query(const std::string& statement) {
  cql::statement_options o;
  o.page_size = interactive_ && options_.format == output_format::table
                    ? static_cast<int32_t>(options_.page_rows)
                    : 5000;
  int64_t total = 0;
  bool first = true, rows = false;
  for (;;) {
    auto r = session_.execute(statement, {}, o);
    if (!r) {
      err_ << error_text(r.error()) << "\n";
      return false;
    }
    if (r->kind == cql::result_kind::set_keyspace) keyspace_ = r->keyspace;
    if (r->kind != cql::result_kind::rows) return true;
    rows = true;
    if (r->rows.row_count > 0 || first) {
      if (options_.format == output_format::table && first) out_ << "\n";
      print_rows(*r, options_.format, first, out_);
    }
    total += r->rows.row_count;
    first = false;
    if (!r->rows.metadata.paging_state) break;
    out_.flush();
    if (interactive_ && options_.format == output_format::table && !more_wanted()) break;
    o.paging_state = *r->rows.metadata.paging_state;
  }
  if (rows && options_.format == output_format::table) out_ << fmt::format("\n({} rows)\n", total);
  out_.flush();
  return true;
}

int shell::run_script(const std::string& text) {
  statement_splitter split;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    split.feed(std::string_view(text).substr(
        start, end == std::string::npos ? std::string::npos : end - start));
    for (const auto& st : split.take()) {
      if (!run(st)) return 1;
      if (exit_) return 0;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  for (const auto& st : split.finish()) {
    if (!run(st)) return 1;
    if (exit_) return 0;
  }
  return 0;
}

int shell::run_interactive() {
  interactive_ = true;
  line_editor ed;
  editor = &ed;
  out_ << fmt::format(
      "Connected to {}.\n[sluice cql | CQL spec 3.4.5 | Native protocol v4]\n"
      "Use HELP for help.\n",
      options_.address);
  out_.flush();
  statement_splitter split;
  int code = 0;
  while (!exit_) {
    const std::string prompt =
        split.pending() ? "   ... "
                        : (keyspace_.empty() ? "sluice> " : fmt::format("sluice:{}> ", keyspace_));
    auto line = ed.read(prompt);
    if (!line) {
      out_ << "\n";
      break;
    }
    split.feed(*line);
    for (const auto& st : split.take()) {
      ed.remember(st + (is_shell_command(st) ? "" : ";"));
      code = run(st) ? 0 : 1;
      if (exit_) break;
    }
  }
  editor = nullptr;
  return code;
}

}  // namespace sluice::shell
