// Produce (key 0): record batches for partitions, acknowledged per acks (0: no response; 1: once
// written by the leader; -1/all: once written by all in-sync replicas, here the one node).
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

struct produce_request {
  struct partition_data {
    int32_t index = 0;
    std::optional<bytes_view> records;  // a view into the request frame
    static constexpr auto fields() {
      return std::tuple{field("index", &partition_data::index, since(0)),
                        field("records", &partition_data::records, since(0), since(0))};
    }
  };
  struct topic_data {
    std::string name;
    std::vector<partition_data> partitions;
    static constexpr auto fields() {
      return std::tuple{field("name", &topic_data::name, since(0)),
                        field("partition_data", &topic_data::partitions, since(0))};
    }
  };
  std::optional<std::string> transactional_id;
  int16_t acks = 0;
  int32_t timeout_ms = 0;
  std::vector<topic_data> topics;

  static constexpr versions valid = between(0, 8);
  static constexpr versions flexible = since(9);
  static constexpr auto fields() {
    using r = produce_request;
    return std::tuple{field("transactional_id", &r::transactional_id, since(3), since(3)),
                      field("acks", &r::acks, since(0)),
                      field("timeout_ms", &r::timeout_ms, since(0)),
                      field("topic_data", &r::topics, since(0))};
  }
};

struct produce_response {
  struct record_error {
    int32_t batch_index = 0;
    std::optional<std::string> message;
    static constexpr auto fields() {
      return std::tuple{
          field("batch_index", &record_error::batch_index, since(8)),
          field("batch_index_error_message", &record_error::message, since(8), since(8))};
    }
  };
  struct partition {
    int32_t index = 0;
    error_code error = error_code::none;
    offset base_offset{-1};
    int64_t log_append_time_ms = -1;
    offset log_start_offset{-1};
    std::vector<record_error> record_errors;
    std::optional<std::string> error_message;
    static constexpr auto fields() {
      using p = partition;
      return std::tuple{field("index", &p::index, since(0)),
                        field("error_code", &p::error, since(0)),
                        field("base_offset", &p::base_offset, since(0)),
                        field("log_append_time_ms", &p::log_append_time_ms, since(2)),
                        field("log_start_offset", &p::log_start_offset, since(5)),
                        field("record_errors", &p::record_errors, since(8)),
                        field("error_message", &p::error_message, since(8), since(8))};
    }
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;
    static constexpr auto fields() {
      return std::tuple{field("name", &topic::name, since(0)),
                        field("partition_responses", &topic::partitions, since(0))};
    }
  };
  std::vector<topic> responses;
  int32_t throttle_time_ms = 0;

  static constexpr versions valid = between(0, 8);
  static constexpr versions flexible = since(9);
  static constexpr auto fields() {
    return std::tuple{field("responses", &produce_response::responses, since(0)),
                      field("throttle_time_ms", &produce_response::throttle_time_ms, since(1))};
  }
};

}  // namespace sluice::kafka
