// What the commands that administer a Kafka-compatible cluster (`sluice topics`, `sluice groups`)
// share: the bootstrap address to use, a librdkafka client, owning handles for librdkafka's C
// objects, and waiting for the result of an admin request. Internal to cli/; only the commands'
// .cc files include it, so librdkafka's header stays out of commands.h.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>

#include "base/error.h"
#include "config/config.h"

namespace sluice::cli::kafka {

// How long one request may take, including finding the broker that answers it.
inline constexpr int timeout_ms = 15000;

// unique_ptr deleter calling librdkafka's destroy function for the type.
template <auto Destroy>
struct destroy_with {
  void operator()(auto* p) const { Destroy(p); }
};
using handle = std::unique_ptr<rd_kafka_t, destroy_with<rd_kafka_destroy>>;
using queue = std::unique_ptr<rd_kafka_queue_t, destroy_with<rd_kafka_queue_destroy>>;
using event = std::unique_ptr<rd_kafka_event_t, destroy_with<rd_kafka_event_destroy>>;
using admin_options =
    std::unique_ptr<rd_kafka_AdminOptions_t, destroy_with<rd_kafka_AdminOptions_destroy>>;
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                       destroy_with<rd_kafka_topic_partition_list_destroy>>;
using metadata =
    std::unique_ptr<const rd_kafka_metadata_t, destroy_with<rd_kafka_metadata_destroy>>;

// The cluster to talk to: the --bootstrap flag, else the config's kafka.bootstrap, else the
// embedded broker's advertised address.
std::string bootstrap_of(const config::config& c, const std::string& flag);

// Connection failures librdkafka reported (through its error callback) since the client started.
struct connection_errors {
  bool all_brokers_down = false;
  std::string last;  // e.g. "127.0.0.1:9092/bootstrap: Connect to ... failed: Connection refused"
};

// A connected client. librdkafka's own log lines go to sluice's log (module "rdkafka").
struct client {
  std::unique_ptr<connection_errors> errors;  // outlives rk, which reports into it
  handle rk;
  std::string bootstrap;

  rd_kafka_t* get() const { return rk.get(); }
  // Options for an admin request of type `op`, with the request timeout set.
  admin_options options(rd_kafka_admin_op_t op) const;
  // Waits for the result of the admin request made on `q`: an error when none came in time or
  // when the request failed as a whole.
  result<event> wait(rd_kafka_queue_t* q) const;
  // librdkafka's text for `e` (or `text`); for a timeout or transport error, says whether the
  // broker could not be reached at all, naming the address.
  std::string explain(rd_kafka_resp_err_t e, const char* text = nullptr) const;
};

result<client> connect(const std::string& bootstrap);

}  // namespace sluice::cli::kafka
