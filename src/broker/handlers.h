// The Kafka APIs the broker serves, as a table: each entry has the versions it advertises, the
// versions whose request header is flexible (v2), and the function that turns a request body into
// a response body. The server looks requests up here; ApiVersions answers from it.
// Thread-safety: handlers run on the broker's network thread.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "broker/topics.h"
#include "config/config.h"
#include "kafka/api.h"
#include "kafka/header.h"

namespace sluice::broker {

struct broker_options {
  config::host_port listen{"127.0.0.1", 9092};
  std::optional<config::host_port> advertised;  // default: the bound listen address
  std::string data_dir = "./sluice-data/broker";
  int32_t node_id = 0;
  int32_t max_request_bytes = 100 << 20;  // larger frames close the connection
  bool auto_create_topics = true;
  int32_t default_partitions = 1;
  std::chrono::milliseconds idle_timeout{10 * 60 * 1000};  // idle connections are closed
};

// What handlers share: options, topics, identity. Owned by the broker.
struct broker_state {
  broker_options options;
  config::host_port advertised;  // resolved at start
  std::string cluster_id;
  topic_table topics;
};

struct request_context {
  const kafka::request_header& header;
  broker_state& state;
};

using handler_fn = result<void> (*)(request_context& ctx, bytes_view body, byte_writer& out);

struct api_entry {
  kafka::api_key key;
  kafka::versions supported;
  kafka::versions flexible;  // request header v2 and flexible body in these versions
  handler_fn handle;
};

std::span<const api_entry> api_table();
const api_entry* find_api(kafka::api_key key);

// Answers one request frame (the bytes after the size prefix) into `out`: size prefix, response
// header, body. Returns false when the connection must be closed (unparseable header, unknown API,
// unsupported version, malformed body), after logging why with `peer`. Pure of I/O besides what
// handlers persist (topics), so tests and fuzzers drive it without sockets.
bool handle_request(broker_state& state, bytes_view frame, byte_writer& out, std::string_view peer);

// ApiVersions' answer to a version it does not know (KIP-511): a v0 body with
// UNSUPPORTED_VERSION and the supported ranges, so that the client retries with one of them.
void write_unsupported_api_versions(byte_writer& out);

}  // namespace sluice::broker
