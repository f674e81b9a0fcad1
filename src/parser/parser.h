// The CQL parser: one statement of text into an ast::statement, or a syntax error whose message
// names the line, the column, what was expected and what was found (drivers raise it as
// SyntaxException). Serves the statements in ast.h: keyspace and table DDL, USE, INSERT, UPDATE,
// DELETE, SELECT and BATCH. Pure; thread-safe.
#pragma once

#include <string_view>

#include "base/error.h"
#include "parser/ast.h"

namespace sluice::parser {

// One statement, optionally ending with ';'.
result<statement> parse(std::string_view text);

}  // namespace sluice::parser
