// `sluice up`: the whole pipeline in one process. Prints the plan, starts every part that this
// version has (in dependency order), and serves until SIGINT/SIGTERM, then stops them in reverse.
#include <chrono>
#include <cstdio>
#include <cstring>

#include <fmt/core.h>

#include "api/server.h"
#include "base/lifecycle.h"
#include "base/log.h"
#include "broker/broker.h"
#include "cli/commands.h"
#include "cli/plan.h"
#include "store/server.h"

namespace sluice::cli {

int run_up(const global_options& g, const up_options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  stop_signal stop;  // before any thread starts
  global_options effective = g;
  if (!o.config_path.empty()) effective.config_path = o.config_path;
  auto c = load_config(effective);
  if (!c) return c.error();
  if (!o.data_dir.empty()) c->data_dir = o.data_dir;

  const auto parts = plan(*c);
  fmt::print("sluice {}: {}\n", SLUICE_VERSION,
             effective.config_path.empty() ? "the reference pipeline on embedded defaults"
                                           : "pipeline from " + effective.config_path);
  fmt::print("plan, in start order:\n{}", format_plan(parts));
  log::get("up")->info(
      "{} part(s) planned from {}", parts.size(),
      effective.config_path.empty() ? "the built-in config" : effective.config_path);
  if (o.dry_run) return exit_ok;

  service_group group;
  std::string pending;
  for (const auto& p : parts) {
    if (p.name == "broker") {
      group.add(std::make_unique<broker::broker>(broker_options_from(*c)));
    } else if (p.name == "api") {
      group.add(std::make_unique<api::server>(api_options_from(*c)));
    } else if (p.name == "store") {
      group.add(std::make_unique<store::server>(store_options_from(*c)));
    } else {
      pending += (pending.empty() ? "" : ", ") + p.name;
    }
  }
  if (!pending.empty()) fmt::print("not in this version yet: {}\n", pending);
  std::fflush(stdout);
  if (auto started = group.start_all(); !started) {
    fmt::print(stderr, "sluice up: {}\n", started.error().message);
    return exit_failure;
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  fmt::print("ready in {} ms; Ctrl-C stops everything\n", ms);
  std::fflush(stdout);
  const int sig = stop.wait();
  log::get("up")->info("{}, stopping", sig == 0 ? "stop requested" : strsignal(sig));
  group.stop_all();
  return exit_ok;
}

}  // namespace sluice::cli
