// Fetch (key 1): records from partitions, from given offsets. The broker may hold the request
// up to max_wait_ms until min_bytes are available. Fetch sessions (v7+) are not kept: every
// response is a full one with session id 0, which clients accept.
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

struct fetch_request {
  struct partition {
    int32_t index = 0;
    int32_t current_leader_epoch = -1;
    offset fetch_offset{0};
    offset log_start_offset{-1};
    int32_t partition_max_bytes = 0;
    static constexpr auto fields() {
      using p = partition;
      return std::tuple{field("partition", &p::index, since(0)),
                        field("current_leader_epoch", &p::current_leader_epoch, since(9)),
                        field("fetch_offset", &p::fetch_offset, since(0)),
                        field("log_start_offset", &p::log_start_offset, since(5)),
                        field("partition_max_bytes", &p::partition_max_bytes, since(0))};
    }
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;
    static constexpr auto fields() {
      return std::tuple{field("topic", &topic::name, since(0)),
                        field("partitions", &topic::partitions, since(0))};
    }
  };
  struct forgotten_topic {
    std::string name;
    std::vector<int32_t> partitions;
    static constexpr auto fields() {
      return std::tuple{field("topic", &forgotten_topic::name, since(7)),
                        field("partitions", &forgotten_topic::partitions, since(7))};
    }
  };
  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = 0x7fffffff;
  int8_t isolation_level = 0;
  int32_t session_id = 0;
  int32_t session_epoch = -1;
  std::vector<topic> topics;
  std::vector<forgotten_topic> forgotten_topics;
  std::string rack_id;

  static constexpr versions valid = between(0, 11);
  static constexpr versions flexible = since(12);
  static constexpr auto fields() {
    using r = fetch_request;
    return std::tuple{field("replica_id", &r::replica_id, since(0)),
                      field("max_wait_ms", &r::max_wait_ms, since(0)),
                      field("min_bytes", &r::min_bytes, since(0)),
                      field("max_bytes", &r::max_bytes, since(3)),
                      field("isolation_level", &r::isolation_level, since(4)),
                      field("session_id", &r::session_id, since(7)),
                      field("session_epoch", &r::session_epoch, since(7)),
                      field("topics", &r::topics, since(0)),
                      field("forgotten_topics_data", &r::forgotten_topics, since(7)),
                      field("rack_id", &r::rack_id, since(11))};
  }
};

struct fetch_response {
  struct aborted_transaction {
    int64_t producer_id = 0;
    int64_t first_offset = 0;
    static constexpr auto fields() {
      return std::tuple{field("producer_id", &aborted_transaction::producer_id, since(4)),
                        field("first_offset", &aborted_transaction::first_offset, since(4))};
    }
  };
  struct partition {
    int32_t index = 0;
    error_code error = error_code::none;
    offset high_watermark{-1};
    offset last_stable_offset{-1};
    offset log_start_offset{-1};
    std::optional<std::vector<aborted_transaction>> aborted_transactions;
    int32_t preferred_read_replica = -1;
    std::optional<bytes_view> records;  // a view into storage owned by the handler
    static constexpr auto fields() {
      using p = partition;
      return std::tuple{field("partition_index", &p::index, since(0)),
                        field("error_code", &p::error, since(0)),
                        field("high_watermark", &p::high_watermark, since(0)),
                        field("last_stable_offset", &p::last_stable_offset, since(4)),
                        field("log_start_offset", &p::log_start_offset, since(5)),
                        field("aborted_transactions", &p::aborted_transactions, since(4), since(4)),
                        field("preferred_read_replica", &p::preferred_read_replica, since(11)),
                        field("records", &p::records, since(0), since(0))};
    }
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;
    static constexpr auto fields() {
      return std::tuple{field("topic", &topic::name, since(0)),
                        field("partitions", &topic::partitions, since(0))};
    }
  };
  int32_t throttle_time_ms = 0;
  error_code error = error_code::none;
  int32_t session_id = 0;
  std::vector<topic> responses;

  static constexpr versions valid = between(0, 11);
  static constexpr versions flexible = since(12);
  static constexpr auto fields() {
    using r = fetch_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(1)),
                      field("error_code", &r::error, since(7)),
                      field("session_id", &r::session_id, since(7)),
                      field("responses", &r::responses, since(0))};
  }
};

}  // namespace sluice::kafka
