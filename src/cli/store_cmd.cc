// `sluice store`: the CQL-compatible table store alone, configured from the config file's
// `store` section and the flags, serving until SIGINT or SIGTERM.
#include <fmt/core.h>

#include "base/lifecycle.h"
#include "cli/commands.h"
#include "store/server.h"

namespace sluice::cli {

store::server_options store_options_from(const config::config& c) {
  store::server_options o;
  o.listen = c.store.listen;
  o.data_dir = c.store_data_dir();
  o.sync = c.store.sync == config::commitlog_sync::batch;
  if (c.store.auth == config::authenticator::password) {
    for (const auto& u : c.store.users) o.users.emplace_back(u.name, u.password);
  }
  o.max_frame_bytes = static_cast<int32_t>(c.store.max_frame_bytes);
  o.cache_bytes = static_cast<size_t>(c.store.cache_bytes);
  o.compression = c.store.compression;
  o.max_pending_writes = static_cast<size_t>(c.store.max_pending_writes);
  return o;
}

int run_store(const global_options& g, const store_cli_options& flags) {
  stop_signal stop;
  auto c = load_config(g);
  if (!c) return c.error();
  store::server_options o = store_options_from(*c);
  if (!flags.listen.empty()) {
    auto hp = config::host_port::parse(flags.listen);
    if (!hp) {
      fmt::print(stderr, "sluice store: --listen: {}\n", hp.error().message);
      return exit_usage;
    }
    o.listen = *hp;
  }
  if (!flags.data_dir.empty()) o.data_dir = flags.data_dir;
  if (!flags.commitlog_sync.empty()) {
    if (flags.commitlog_sync != "batch" && flags.commitlog_sync != "periodic") {
      fmt::print(stderr, "sluice store: --commitlog-sync: expected batch or periodic, got '{}'\n",
                 flags.commitlog_sync);
      return exit_usage;
    }
    o.sync = flags.commitlog_sync == "batch";
  }
  service_group group;
  group.add(std::make_unique<store::server>(o));
  if (auto r = run_until_stopped(group, stop); !r) {
    fmt::print(stderr, "sluice store: {}\n", r.error().message);
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace sluice::cli
