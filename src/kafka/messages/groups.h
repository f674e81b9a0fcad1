// Group membership: FindCoordinator (key 10), JoinGroup (11), Heartbeat (12), LeaveGroup (13),
// SyncGroup (14), DescribeGroups (15), ListGroups (16), DeleteGroups (42).
// Served versions stop where clients stop needing more; each struct declares its fields at every
// version Kafka defines up to that point.
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

struct find_coordinator_request {
  std::string key;
  int8_t key_type = 0;  // 0: group, 1: transaction

  static constexpr versions valid = between(0, 2);
  static constexpr versions flexible = since(3);
  static constexpr auto fields() {
    using r = find_coordinator_request;
    return std::tuple{field("key", &r::key, since(0)), field("key_type", &r::key_type, since(1))};
  }
};

struct find_coordinator_response {
  int32_t throttle_time_ms = 0;
  error_code error = error_code::none;
  std::optional<std::string> error_message;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;

  static constexpr versions valid = between(0, 2);
  static constexpr versions flexible = since(3);
  static constexpr auto fields() {
    using r = find_coordinator_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(1)),
                      field("error_code", &r::error, since(0)),
                      field("error_message", &r::error_message, since(1), since(1)),
                      field("node_id", &r::node_id, since(0)),
                      field("host", &r::host, since(0)),
                      field("port", &r::port, since(0))};
  }
};

struct join_group_request {
  struct protocol {
    std::string name;
    bytes_view metadata;
    static constexpr auto fields() {
      return std::tuple{field("name", &protocol::name, since(0)),
                        field("metadata", &protocol::metadata, since(0))};
    }
  };
  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // v0: the session timeout
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string protocol_type;
  std::vector<protocol> protocols;

  static constexpr versions valid = between(0, 5);
  static constexpr versions flexible = since(6);
  static constexpr auto fields() {
    using r = join_group_request;
    return std::tuple{field("group_id", &r::group_id, since(0)),
                      field("session_timeout_ms", &r::session_timeout_ms, since(0)),
                      field("rebalance_timeout_ms", &r::rebalance_timeout_ms, since(1)),
                      field("member_id", &r::member_id, since(0)),
                      field("group_instance_id", &r::group_instance_id, since(5), since(5)),
                      field("protocol_type", &r::protocol_type, since(0)),
                      field("protocols", &r::protocols, since(0))};
  }
};

struct join_group_response {
  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    bytes_view metadata;
    static constexpr auto fields() {
      return std::tuple{field("member_id", &member::member_id, since(0)),
                        field("group_instance_id", &member::group_instance_id, since(5), since(5)),
                        field("metadata", &member::metadata, since(0))};
    }
  };
  int32_t throttle_time_ms = 0;
  error_code error = error_code::none;
  int32_t generation_id = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<member> members;

  static constexpr versions valid = between(0, 5);
  static constexpr versions flexible = since(6);
  static constexpr auto fields() {
    using r = join_group_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(2)),
                      field("error_code", &r::error, since(0)),
                      field("generation_id", &r::generation_id, since(0)),
                      field("protocol_name", &r::protocol_name, since(0)),
                      field("leader", &r::leader, since(0)),
                      field("member_id", &r::member_id, since(0)),
                      field("members", &r::members, since(0))};
  }
};

struct sync_group_request {
  struct assignment {
    std::string member_id;
    bytes_view assignment;
    static constexpr auto fields() {
      using a = sync_group_request::assignment;
      return std::tuple{field("member_id", &a::member_id, since(0)),
                        field("assignment", &a::assignment, since(0))};
    }
  };
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<assignment> assignments;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = sync_group_request;
    return std::tuple{field("group_id", &r::group_id, since(0)),
                      field("generation_id", &r::generation_id, since(0)),
                      field("member_id", &r::member_id, since(0)),
                      field("group_instance_id", &r::group_instance_id, since(3), since(3)),
                      field("assignments", &r::assignments, since(0))};
  }
};

struct sync_group_response {
  int32_t throttle_time_ms = 0;
  error_code error = error_code::none;
  bytes_view assignment;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = sync_group_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(1)),
                      field("error_code", &r::error, since(0)),
                      field("assignment", &r::assignment, since(0))};
  }
};

struct heartbeat_request {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = heartbeat_request;
    return std::tuple{field("group_id", &r::group_id, since(0)),
                      field("generation_id", &r::generation_id, since(0)),
                      field("member_id", &r::member_id, since(0)),
                      field("group_instance_id", &r::group_instance_id, since(3), since(3))};
  }
};

struct heartbeat_response {
  int32_t throttle_time_ms = 0;
  error_code error = error_code::none;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = heartbeat_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(1)),
                      field("error_code", &r::error, since(0))};
  }
};

struct leave_group_request {
  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    static constexpr auto fields() {
      return std::tuple{field("member_id", &member::member_id, since(3)),
                        field("group_instance_id", &member::group_instance_id, since(3), since(3))};
    }
  };
  std::string group_id;
  std::string member_id;        // v0-2
  std::vector<member> members;  // v3+

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = leave_group_request;
    return std::tuple{field("group_id", &r::group_id, since(0)),
                      field("member_id", &r::member_id, between(0, 2)),
                      field("members", &r::members, since(3))};
  }
};

struct leave_group_response {
  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    error_code error = error_code::none;
    static constexpr auto fields() {
      return std::tuple{field("member_id", &member::member_id, since(3)),
                        field("group_instance_id", &member::group_instance_id, since(3), since(3)),
                        field("error_code", &member::error, since(3))};
    }
  };
  int32_t throttle_time_ms = 0;
  error_code error = error_code::none;
  std::vector<member> members;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = leave_group_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(1)),
                      field("error_code", &r::error, since(0)),
                      field("members", &r::members, since(3))};
  }
};

struct describe_groups_request {
  std::vector<std::string> groups;
  bool include_authorized_operations = false;

  static constexpr versions valid = between(0, 5);
  static constexpr versions flexible = since(5);
  static constexpr auto fields() {
    using r = describe_groups_request;
    return std::tuple{
        field("groups", &r::groups, since(0)),
        field("include_authorized_operations", &r::include_authorized_operations, since(3))};
  }
};

struct describe_groups_response {
  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    bytes_view metadata;
    bytes_view assignment;
    static constexpr auto fields() {
      using m = member;
      return std::tuple{field("member_id", &m::member_id, since(0)),
                        field("group_instance_id", &m::group_instance_id, since(4), since(4)),
                        field("client_id", &m::client_id, since(0)),
                        field("client_host", &m::client_host, since(0)),
                        field("member_metadata", &m::metadata, since(0)),
                        field("member_assignment", &m::assignment, since(0))};
    }
  };
  struct group {
    error_code error = error_code::none;
    std::string group_id;
    std::string state;
    std::string protocol_type;
    std::string protocol_data;
    std::vector<member> members;
    int32_t authorized_operations = std::numeric_limits<int32_t>::min();
    static constexpr auto fields() {
      using g = group;
      return std::tuple{field("error_code", &g::error, since(0)),
                        field("group_id", &g::group_id, since(0)),
                        field("group_state", &g::state, since(0)),
                        field("protocol_type", &g::protocol_type, since(0)),
                        field("protocol_data", &g::protocol_data, since(0)),
                        field("members", &g::members, since(0)),
                        field("authorized_operations", &g::authorized_operations, since(3))};
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<group> groups;

  static constexpr versions valid = between(0, 5);
  static constexpr versions flexible = since(5);
  static constexpr auto fields() {
    using r = describe_groups_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(1)),
                      field("groups", &r::groups, since(0))};
  }
};

struct list_groups_request {
  std::vector<std::string> states_filter;

  static constexpr versions valid = between(0, 4);
  static constexpr versions flexible = since(3);
  static constexpr auto fields() {
    return std::tuple{field("states_filter", &list_groups_request::states_filter, since(4))};
  }
};

struct list_groups_response {
  struct group {
    std::string group_id;
    std::string protocol_type;
    std::string state;
    static constexpr auto fields() {
      return std::tuple{field("group_id", &group::group_id, since(0)),
                        field("protocol_type", &group::protocol_type, since(0)),
                        field("group_state", &group::state, since(4))};
    }
  };
  int32_t throttle_time_ms = 0;
  error_code error = error_code::none;
  std::vector<group> groups;

  static constexpr versions valid = between(0, 4);
  static constexpr versions flexible = since(3);
  static constexpr auto fields() {
    using r = list_groups_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(1)),
                      field("error_code", &r::error, since(0)),
                      field("groups", &r::groups, since(0))};
  }
};

struct delete_groups_request {
  std::vector<std::string> groups;

  static constexpr versions valid = between(0, 2);
  static constexpr versions flexible = since(2);
  static constexpr auto fields() {
    return std::tuple{field("groups_names", &delete_groups_request::groups, since(0))};
  }
};

struct delete_groups_response {
  struct result {
    std::string group_id;
    error_code error = error_code::none;
    static constexpr auto fields() {
      return std::tuple{field("group_id", &result::group_id, since(0)),
                        field("error_code", &result::error, since(0))};
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<result> results;

  static constexpr versions valid = between(0, 2);
  static constexpr versions flexible = since(2);
  static constexpr auto fields() {
    using r = delete_groups_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(0)),
                      field("results", &r::results, since(0))};
  }
};

}  // namespace sluice::kafka
