// Rows printed in columns aligned on their widest cell, two spaces apart: how the CLI prints
// lists (groups, DAGs, runs, task instances).
#pragma once

#include <string>
#include <vector>

namespace sluice::cli {

using table = std::vector<std::vector<std::string>>;
void print_table(const table& rows);

}  // namespace sluice::cli
