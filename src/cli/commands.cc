#include "cli/commands.h"

#include <fmt/core.h>

#include "base/log.h"

namespace sluice::cli {

std::expected<config::config, int> load_config(const global_options& g) {
  config::config c = config::reference();
  if (!g.config_path.empty()) {
    auto loaded = config::load_file(g.config_path);
    if (!loaded) {
      fmt::print(stderr, "{}\n", loaded.error().message);
      return std::unexpected(exit_usage);
    }
    c = std::move(*loaded);
  }
  if (!g.log_level.empty()) {
    auto l = log::parse_level(g.log_level);
    if (!l) {
      fmt::print(stderr, "sluice: --log-level: {}\n", l.error().message);
      return std::unexpected(exit_usage);
    }
    c.log.level = *l;
  }
  if (!g.log_format.empty()) {
    auto f = log::parse_format(g.log_format);
    if (!f) {
      fmt::print(stderr, "sluice: --log-format: {}\n", f.error().message);
      return std::unexpected(exit_usage);
    }
    c.log.format = *f;
  }
  log::setup(c.log.level, c.log.format);
  return c;
}

int run_version() {
  fmt::print("sluice {} ({} build, {} {})\n", SLUICE_VERSION, SLUICE_BUILD_TYPE, SLUICE_COMPILER,
             SLUICE_COMPILER_VERSION);
  return exit_ok;
}

int run_config_check(const std::string& path) {
  auto c = config::load_file(path);
  if (!c) {
    fmt::print(stderr, "{}\n", c.error().message);
    return exit_usage;
  }
  fmt::print("{}: ok ({} pipeline(s), {} DAG(s))\n", path, c->pipelines.size(), c->dags.size());
  return exit_ok;
}

int run_config_docs() {
  fmt::print("{}", config::reference_markdown());
  return exit_ok;
}

}  // namespace sluice::cli
