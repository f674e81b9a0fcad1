// `sluice cql`: the interactive shell and the scripting mode.
//
// Interactive (a terminal on stdin, no -e or -f): line editing and history (libedit; history in
// ~/.sluice_cql_history), a prompt naming the current keyspace, continuation lines until a
// statement ends with ';', long results shown a page at a time (Enter for more, q to stop).
// Scripting (-e STATEMENTS, -f FILE, or stdin not a terminal): every statement runs in order; the
// first error is printed to stderr and ends the run with exit code 1, so a script's exit code
// tells success or failure; results go to stdout in the chosen format, every page of them.
// Shell commands: DESCRIBE (describe.h), USE (sent to the server), EXIT and QUIT, HELP.
#pragma once

#include <iosfwd>
#include <string>

#include "cql/client.h"
#include "shell/output.h"

namespace sluice::shell {

struct shell_options {
  output_format format = output_format::table;
  size_t page_rows = 100;  // interactive: rows shown before asking for more
  std::string address;     // for the banner and the prompt
  std::string keyspace;    // the session's keyspace at the start (-k)
};

class shell {
 public:
  shell(cql::session& s, shell_options o, std::ostream& out, std::ostream& err);

  // Runs one statement or shell command. false: it failed (the error is printed).
  bool run(const std::string& statement);
  // Every statement of `text` in order, stopping at the first failure. The exit code.
  int run_script(const std::string& text);
  // The interactive loop until EXIT, QUIT or end of input. The exit code.
  int run_interactive();

  [[nodiscard]] bool exit_requested() const { return exit_; }

 private:
  bool run_query(const std::string& statement);
  bool more_wanted();

  cql::session& session_;
  shell_options options_;
  std::ostream& out_;
  std::ostream& err_;
  std::string keyspace_;
  bool interactive_ = false;
  bool exit_ = false;
};

}  // namespace sluice::shell
