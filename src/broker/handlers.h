// The Kafka APIs the broker serves, as a table: each entry has the versions it advertises, the
// versions whose request header is flexible (v2), and the function that turns a request body into
// a response body. The server looks requests up here; ApiVersions answers from it.
// Thread-safety: handlers run on the broker's network thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "broker/logs.h"
#include "broker/producers.h"
#include "broker/topics.h"
#include "config/config.h"
#include "groups/coordinator.h"
#include "kafka/api.h"
#include "kafka/header.h"

namespace sluice::broker {

// When appended records are forced to disk (fdatasync) relative to acknowledging them.
enum class fsync_policy {
  acks_all,  // before acknowledging acks=all produces (as Redpanda); acks=1/0 rely on the OS
  always,    // before acknowledging any produce
  never,     // never explicitly; the OS writes back (as Kafka, which relies on replication)
};

struct broker_options {
  config::host_port listen{"127.0.0.1", 9092};
  std::optional<config::host_port> advertised;  // default: the bound listen address
  std::string data_dir = "./sluice-data/broker";
  int32_t node_id = 0;
  int32_t max_request_bytes = 100 << 20;  // larger frames close the connection
  bool auto_create_topics = true;
  int32_t default_partitions = 1;
  std::chrono::milliseconds idle_timeout{10 * 60 * 1000};  // idle connections are closed
  fsync_policy fsync = fsync_policy::acks_all;
  storage::log_options log;
  groups::coordinator_options groups;  // `sync` follows `fsync` (off only with `never`)
};

// What handlers share: options, topics, identity. Owned by the broker.
struct broker_state {
  broker_options options;
  config::host_port advertised;  // resolved at start
  std::string cluster_id;
  topic_table topics;
  log_manager logs;
  producer_id_allocator producer_ids;
  std::unique_ptr<groups::coordinator> groups;
  // Wakes the fetches waiting for data on this partition; set by the server.
  std::function<void(const std::string& topic, int32_t partition)> on_append;
};

// Creates a topic and its partition logs.
result<const topic_info*> create_topic(broker_state& state, std::string name, int32_t partitions);

// What became of a request.
enum class outcome {
  respond,      // `out` holds the response body
  no_response,  // acks=0 produce: nothing goes back
  wait,         // not enough data yet: ask again when data arrives or `wait` has passed
  deferred,     // the answer comes later, through `deferred` (JoinGroup, SyncGroup)
};

// A response that a handler gives later: a JoinGroup or SyncGroup parked until the rest of its
// group catches up. The handler's callback writes the body and calls complete(); the server,
// which set `wake`, then sends head + body.
struct deferred_response {
  std::vector<uint8_t> head;  // size prefix and response header (set by handle_request)
  byte_writer body{128};
  bool ready = false;
  std::function<void()> wake;

  void complete() {
    ready = true;
    if (wake) std::exchange(wake, nullptr)();
  }
  // The whole frame, with its size prefix patched.
  [[nodiscard]] std::vector<uint8_t> frame() const;
};

struct request_context {
  const kafka::request_header& header;
  broker_state& state;
  std::span<uint8_t> frame;   // the whole request, writable: produce rewrites offsets in place
  bool final_attempt = true;  // false: a handler may answer outcome::wait
  std::chrono::milliseconds wait{0};  // with outcome::wait: the longest the request may be held
  std::vector<std::pair<std::string, int32_t>> waiting_on;  // with outcome::wait: what wakes it
  std::shared_ptr<deferred_response> deferred;              // with outcome::deferred
  std::string_view peer;                                    // "host:port" of the client

  // The writable bytes of a view into the frame (record batches of a produce request).
  [[nodiscard]] std::span<uint8_t> writable(bytes_view part) const {
    return frame.subspan(static_cast<size_t>(part.data() - frame.data()), part.size());
  }
};

using handler_fn = result<outcome> (*)(request_context& ctx, bytes_view body, byte_writer& out);

struct api_entry {
  kafka::api_key key;
  kafka::versions supported;
  kafka::versions flexible;  // request header v2 and flexible body in these versions
  handler_fn handle;
};

std::span<const api_entry> api_table();
const api_entry* find_api(kafka::api_key key);

// What the connection does after handle_request.
struct handled {
  enum kind { respond, silent, wait, deferred, close } what = respond;
  std::chrono::milliseconds wait_for{0};                    // with `wait`
  std::vector<std::pair<std::string, int32_t>> waiting_on;  // with `wait`: partitions to watch
  std::shared_ptr<deferred_response> later;                 // with `deferred`
};

// Answers one request frame (the bytes after the size prefix) into `out`: size prefix, response
// header, body. `close` when the connection must be closed (unparseable header, unknown API,
// unsupported version, malformed body), after logging why with `peer`; `wait` when the request
// should be retried later (with final_attempt once its time is up); `deferred` when the answer
// will come through `later`. Touches no sockets, so tests
// and fuzzers drive it directly.
handled handle_request(broker_state& state, std::span<uint8_t> frame, byte_writer& out,
                       std::string_view peer, bool final_attempt = true);

// ApiVersions' answer to a version it does not know (KIP-511): a v0 body with
// UNSUPPORTED_VERSION and the supported ranges, so that the client retries with one of them.
void write_unsupported_api_versions(byte_writer& out);

}  // namespace sluice::broker
