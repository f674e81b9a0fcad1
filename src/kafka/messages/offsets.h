// Committed offsets: OffsetCommit (key 8), OffsetFetch (9), OffsetDelete (47).
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

// A partition's outcome, and a topic's partitions' outcomes, in OffsetCommit and OffsetDelete
// responses.
struct partition_result {
  int32_t partition_index = 0;
  error_code error = error_code::none;
  static constexpr auto fields() {
    return std::tuple{field("partition_index", &partition_result::partition_index, since(0)),
                      field("error_code", &partition_result::error, since(0))};
  }
};

struct topic_results {
  std::string name;
  std::vector<partition_result> partitions;
  static constexpr auto fields() {
    return std::tuple{field("name", &topic_results::name, since(0)),
                      field("partitions", &topic_results::partitions, since(0))};
  }
};

struct offset_commit_request {
  struct partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;
    int32_t committed_leader_epoch = -1;
    int64_t commit_timestamp = -1;  // v1 only
    std::optional<std::string> metadata;
    static constexpr auto fields() {
      using p = partition;
      return std::tuple{field("partition_index", &p::partition_index, since(0)),
                        field("committed_offset", &p::committed_offset, since(0)),
                        field("committed_leader_epoch", &p::committed_leader_epoch, since(6)),
                        field("commit_timestamp", &p::commit_timestamp, between(1, 1)),
                        field("committed_metadata", &p::metadata, since(0), since(0))};
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
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int64_t retention_time_ms = -1;  // v2-4
  std::vector<topic> topics;

  static constexpr versions valid = between(0, 7);
  static constexpr versions flexible = since(8);
  static constexpr auto fields() {
    using r = offset_commit_request;
    return std::tuple{field("group_id", &r::group_id, since(0)),
                      field("generation_id", &r::generation_id, since(1)),
                      field("member_id", &r::member_id, since(1)),
                      field("group_instance_id", &r::group_instance_id, since(7), since(7)),
                      field("retention_time_ms", &r::retention_time_ms, between(2, 4)),
                      field("topics", &r::topics, since(0))};
  }
};

struct offset_commit_response {
  using partition = partition_result;
  using topic = topic_results;
  int32_t throttle_time_ms = 0;
  std::vector<topic> topics;

  static constexpr versions valid = between(0, 7);
  static constexpr versions flexible = since(8);
  static constexpr auto fields() {
    using r = offset_commit_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(3)),
                      field("topics", &r::topics, since(0))};
  }
};

struct offset_fetch_request {
  struct topic {
    std::string name;
    std::vector<int32_t> partitions;
    static constexpr auto fields() {
      return std::tuple{field("name", &topic::name, since(0)),
                        field("partition_indexes", &topic::partitions, since(0))};
    }
  };
  std::string group_id;
  std::optional<std::vector<topic>> topics;  // null (v2+): every partition the group committed

  static constexpr versions valid = between(0, 5);
  static constexpr versions flexible = since(6);
  static constexpr auto fields() {
    using r = offset_fetch_request;
    return std::tuple{field("group_id", &r::group_id, since(0)),
                      field("topics", &r::topics, since(0), since(2))};
  }
};

struct offset_fetch_response {
  struct partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;
    int32_t committed_leader_epoch = -1;
    std::optional<std::string> metadata;
    error_code error = error_code::none;
    static constexpr auto fields() {
      using p = partition;
      return std::tuple{field("partition_index", &p::partition_index, since(0)),
                        field("committed_offset", &p::committed_offset, since(0)),
                        field("committed_leader_epoch", &p::committed_leader_epoch, since(5)),
                        field("metadata", &p::metadata, since(0), since(0)),
                        field("error_code", &p::error, since(0))};
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
  error_code error = error_code::none;

  static constexpr versions valid = between(0, 5);
  static constexpr versions flexible = since(6);
  static constexpr auto fields() {
    using r = offset_fetch_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(3)),
                      field("topics", &r::topics, since(0)),
                      field("error_code", &r::error, since(2))};
  }
};

struct offset_delete_request {
  struct partition {
    int32_t partition_index = 0;
    static constexpr auto fields() {
      return std::tuple{field("partition_index", &partition::partition_index, since(0))};
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
  std::string group_id;
  std::vector<topic> topics;

  static constexpr versions valid = between(0, 0);
  static constexpr versions flexible = never;
  static constexpr auto fields() {
    using r = offset_delete_request;
    return std::tuple{field("group_id", &r::group_id, since(0)),
                      field("topics", &r::topics, since(0))};
  }
};

struct offset_delete_response {
  using partition = partition_result;
  using topic = topic_results;
  error_code error = error_code::none;
  int32_t throttle_time_ms = 0;
  std::vector<topic> topics;

  static constexpr versions valid = between(0, 0);
  static constexpr versions flexible = never;
  static constexpr auto fields() {
    using r = offset_delete_response;
    return std::tuple{field("error_code", &r::error, since(0)),
                      field("throttle_time_ms", &r::throttle_time_ms, since(0)),
                      field("topics", &r::topics, since(0))};
  }
};

}  // namespace sluice::kafka
