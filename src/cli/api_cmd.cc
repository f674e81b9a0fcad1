// `sluice api`: the offline random-user API alone, configured from the config's `api` section and
// the flags, serving until SIGINT or SIGTERM.
#include <fmt/core.h>

#include "api/server.h"
#include "base/lifecycle.h"
#include "cli/commands.h"
#include "config/schema.h"

namespace sluice::cli {

api::server_options api_options_from(const config::config& c) {
  api::server_options o;
  o.listen = c.api.listen;
  o.error_rate = c.api.error_rate;
  o.latency = c.api.latency;
  o.malformed_rate = c.api.malformed_rate;
  o.slow_rate = c.api.slow_rate;
  o.slow_latency = c.api.slow_latency;
  return o;
}

int run_api(const global_options& g, const api_cli_options& flags) {
  stop_signal stop;
  auto c = load_config(g);
  if (!c) return c.error();
  api::server_options o = api_options_from(*c);
  if (!flags.listen.empty()) {
    auto hp = config::host_port::parse(flags.listen);
    if (!hp) {
      fmt::print(stderr, "sluice api: --listen: {}\n", hp.error().message);
      return exit_usage;
    }
    o.listen = *hp;
  }
  for (auto [name, v, out] :
       {std::tuple{"--error-rate", flags.error_rate, &o.error_rate},
        std::tuple{"--malformed-rate", flags.malformed_rate, &o.malformed_rate},
        std::tuple{"--slow-rate", flags.slow_rate, &o.slow_rate}}) {
    if (!v) continue;
    if (*v < 0 || *v > 1) {
      fmt::print(stderr, "sluice api: {}: must be 0 to 1, got {}\n", name, *v);
      return exit_usage;
    }
    *out = *v;
  }
  if (!flags.latency.empty()) {
    auto d = config::schema::parse_duration(flags.latency);
    if (!d) {
      fmt::print(stderr, "sluice api: --latency: expected a duration such as 50ms, got '{}'\n",
                 flags.latency);
      return exit_usage;
    }
    o.latency = *d;
  }
  if (!flags.slow_latency.empty()) {
    auto d = config::schema::parse_duration(flags.slow_latency);
    if (!d) {
      fmt::print(stderr, "sluice api: --slow-latency: expected a duration such as 2s, got '{}'\n",
                 flags.slow_latency);
      return exit_usage;
    }
    o.slow_latency = *d;
  }
  service_group group;
  group.add(std::make_unique<api::server>(o));
  if (auto r = run_until_stopped(group, stop); !r) {
    fmt::print(stderr, "sluice api: {}\n", r.error().message);
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace sluice::cli
