// `sluice broker`: the Kafka-compatible broker alone, configured from the config file's `broker`
// section and the flags, serving until SIGINT or SIGTERM.
#include <fmt/core.h>

#include "base/lifecycle.h"
#include "base/log.h"
#include "broker/broker.h"
#include "cli/commands.h"

namespace sluice::cli {

namespace {

// Parses a host:port flag into `out`; prints the problem and returns false when it is invalid.
bool address_flag(std::string_view flag, const std::string& text, config::host_port& out) {
  if (text.empty()) return true;
  auto hp = config::host_port::parse(text);
  if (!hp) {
    fmt::print(stderr, "sluice broker: {}: {}\n", flag, hp.error().message);
    return false;
  }
  out = *hp;
  return true;
}

}  // namespace

broker::broker_options broker_options_from(const config::config& c) {
  broker::broker_options o;
  o.listen = c.broker.listen;
  o.advertised = c.broker.advertised;
  o.data_dir = c.broker_data_dir();
  o.auto_create_topics = c.broker.auto_create_topics;
  o.default_partitions = static_cast<int32_t>(c.broker.default_partitions);
  o.max_request_bytes = static_cast<int32_t>(c.broker.max_request_bytes);
  o.log.segment_bytes = static_cast<uint64_t>(c.broker.segment_bytes);
  o.log.segment_age = c.broker.segment_age;
  o.log.retention_bytes = c.broker.retention_bytes;
  o.log.retention_age =
      c.broker.retention_age.count() == 0 ? std::chrono::milliseconds(-1) : c.broker.retention_age;
  o.log.cache_bytes = static_cast<uint64_t>(c.broker.page_cache_bytes);
  o.groups.initial_rebalance_delay = c.broker.group_initial_rebalance_delay.count();
  o.groups.min_session_timeout = c.broker.group_min_session_timeout.count();
  o.groups.max_session_timeout = c.broker.group_max_session_timeout.count();
  o.groups.offset_retention_ms = c.broker.offset_retention.count();
  switch (c.broker.fsync) {
    case config::fsync_policy::acks_all: o.fsync = broker::fsync_policy::acks_all; break;
    case config::fsync_policy::always: o.fsync = broker::fsync_policy::always; break;
    case config::fsync_policy::never: o.fsync = broker::fsync_policy::never; break;
  }
  return o;
}

int run_broker(const global_options& g, const broker_cli_options& flags) {
  // Signals are blocked before any thread starts, so only the stop_signal sees them.
  stop_signal stop;
  auto c = load_config(g);
  if (!c) return c.error();
  broker::broker_options o = broker_options_from(*c);
  if (!address_flag("--listen", flags.listen, o.listen)) return exit_usage;
  if (!flags.advertised.empty()) {
    config::host_port adv;
    if (!address_flag("--advertised", flags.advertised, adv)) return exit_usage;
    o.advertised = adv;
  }
  if (!flags.data_dir.empty()) o.data_dir = flags.data_dir;

  service_group group;
  group.add(std::make_unique<broker::broker>(o));
  if (auto r = run_until_stopped(group, stop); !r) {
    fmt::print(stderr, "sluice broker: {}\n", r.error().message);
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace sluice::cli
