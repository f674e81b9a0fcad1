// Result rows as the shell prints them: an aligned table (as cqlsh), CSV (RFC 4180, a header line
// first, nulls empty) or JSON (one object per row and line, typed: numbers and booleans as JSON
// values, collections as arrays and objects, everything else as strings). Pure; thread-safe.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cql/messages.h"

namespace sluice::shell {

enum class output_format { table, csv, json };

// Rows of one page. `header`: print the column names first (table, csv); the table's widths are
// the page's own.
void print_rows(const cql::result_response& r, output_format f, bool header, std::ostream& out);

// One cell as it appears in `f` (null as "null" in a table, empty in CSV, null in JSON).
std::string cell_text(const cql::data_type& type, const std::optional<std::vector<uint8_t>>& cell,
                      output_format f);

}  // namespace sluice::shell
