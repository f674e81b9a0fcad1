// Metadata (key 3): brokers, topics and partition leaders; may auto-create topics (v4+ says
// whether it should).
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

struct metadata_request {
  struct topic {
    std::string name;
    static constexpr auto fields() { return std::tuple{field("name", &topic::name, since(0))}; }
  };
  // v0: empty means all topics; v1+: null means all topics, empty means none.
  std::optional<std::vector<topic>> topics;
  bool allow_auto_topic_creation = true;
  bool include_cluster_authorized_operations = false;
  bool include_topic_authorized_operations = false;

  static constexpr versions valid = between(0, 8);
  static constexpr versions flexible = since(9);
  static constexpr auto fields() {
    using r = metadata_request;
    return std::tuple{field("topics", &r::topics, since(0), since(1)),
                      field("allow_auto_topic_creation", &r::allow_auto_topic_creation, since(4)),
                      field("include_cluster_authorized_operations",
                            &r::include_cluster_authorized_operations, between(8, 10)),
                      field("include_topic_authorized_operations",
                            &r::include_topic_authorized_operations, since(8))};
  }
};

struct metadata_response {
  struct broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;
    static constexpr auto fields() {
      return std::tuple{
          field("node_id", &broker::node_id, since(0)), field("host", &broker::host, since(0)),
          field("port", &broker::port, since(0)), field("rack", &broker::rack, since(1), since(1))};
    }
  };
  struct partition {
    error_code error = error_code::none;
    int32_t index = 0;
    int32_t leader_id = 0;
    int32_t leader_epoch = -1;
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;
    static constexpr auto fields() {
      using p = partition;
      return std::tuple{field("error_code", &p::error, since(0)),
                        field("partition_index", &p::index, since(0)),
                        field("leader_id", &p::leader_id, since(0)),
                        field("leader_epoch", &p::leader_epoch, since(7)),
                        field("replica_nodes", &p::replica_nodes, since(0)),
                        field("isr_nodes", &p::isr_nodes, since(0)),
                        field("offline_replicas", &p::offline_replicas, since(5))};
    }
  };
  struct topic {
    error_code error = error_code::none;
    std::string name;
    bool is_internal = false;
    std::vector<partition> partitions;
    int32_t topic_authorized_operations = INT32_MIN;
    static constexpr auto fields() {
      using t = topic;
      return std::tuple{
          field("error_code", &t::error, since(0)), field("name", &t::name, since(0)),
          field("is_internal", &t::is_internal, since(1)),
          field("partitions", &t::partitions, since(0)),
          field("topic_authorized_operations", &t::topic_authorized_operations, since(8))};
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<broker> brokers;
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::vector<topic> topics;
  int32_t cluster_authorized_operations = INT32_MIN;

  static constexpr versions valid = between(0, 8);
  static constexpr versions flexible = since(9);
  static constexpr auto fields() {
    using r = metadata_response;
    return std::tuple{
        field("throttle_time_ms", &r::throttle_time_ms, since(3)),
        field("brokers", &r::brokers, since(0)),
        field("cluster_id", &r::cluster_id, since(2), since(2)),
        field("controller_id", &r::controller_id, since(1)),
        field("topics", &r::topics, since(0)),
        field("cluster_authorized_operations", &r::cluster_authorized_operations, between(8, 10))};
  }
};

}  // namespace sluice::kafka
