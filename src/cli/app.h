// Entry point of the `sluice` command line.
#pragma once

namespace sluice::cli {

// Parses argv, runs the chosen command and returns the process exit code.
int run(int argc, char** argv);

}  // namespace sluice::cli
