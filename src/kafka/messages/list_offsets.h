// ListOffsets (key 2): the offset for a timestamp in each partition; -2 asks for the earliest
// offset, -1 for the latest (the log end).
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

inline constexpr int64_t latest_timestamp = -1;
inline constexpr int64_t earliest_timestamp = -2;

struct list_offsets_request {
  struct partition {
    int32_t index = 0;
    int32_t current_leader_epoch = -1;
    int64_t timestamp = 0;
    int32_t max_num_offsets = 1;
    static constexpr auto fields() {
      using p = partition;
      return std::tuple{field("partition_index", &p::index, since(0)),
                        field("current_leader_epoch", &p::current_leader_epoch, since(4)),
                        field("timestamp", &p::timestamp, since(0)),
                        field("max_num_offsets", &p::max_num_offsets, between(0, 0))};
    }
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;
    static constexpr auto fields() {
      return std::tuple{field("name", &topic::name, since(0)),
                        field("partitions", &topic::partitions, since(0))};
    }
  };
  int32_t replica_id = -1;
  int8_t isolation_level = 0;
  std::vector<topic> topics;

  static constexpr versions valid = between(0, 5);
  static constexpr versions flexible = since(6);
  static constexpr auto fields() {
    using r = list_offsets_request;
    return std::tuple{field("replica_id", &r::replica_id, since(0)),
                      field("isolation_level", &r::isolation_level, since(2)),
                      field("topics", &r::topics, since(0))};
  }
};

struct list_offsets_response {
  struct partition {
    int32_t index = 0;
    error_code error = error_code::none;
    std::vector<int64_t> old_style_offsets;
    int64_t timestamp = -1;
    offset found{-1};
    int32_t leader_epoch = -1;
    static constexpr auto fields() {
      using p = partition;
      return std::tuple{field("partition_index", &p::index, since(0)),
                        field("error_code", &p::error, since(0)),
                        field("old_style_offsets", &p::old_style_offsets, between(0, 0)),
                        field("timestamp", &p::timestamp, since(1)),
                        field("offset", &p::found, since(1)),
                        field("leader_epoch", &p::leader_epoch, since(4))};
    }
  };
  struct topic {
    std::string name;
    std::vector<partition> partitions;
    static constexpr auto fields() {
      return std::tuple{field("name", &topic::name, since(0)),
                        field("partitions", &topic::partitions, since(0))};
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<topic> topics;

  static constexpr versions valid = between(0, 5);
  static constexpr versions flexible = since(6);
  static constexpr auto fields() {
    using r = list_offsets_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(2)),
                      field("topics", &r::topics, since(0))};
  }
};

}  // namespace sluice::kafka
