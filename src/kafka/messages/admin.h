// Topic administration: CreateTopics (key 19), DeleteTopics (key 20), DescribeConfigs (key 32).
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

struct create_topics_request {
  struct assignment {
    int32_t partition_index = 0;
    std::vector<int32_t> broker_ids;
    static constexpr auto fields() {
      return std::tuple{field("partition_index", &assignment::partition_index, since(0)),
                        field("broker_ids", &assignment::broker_ids, since(0))};
    }
  };
  struct config {
    std::string name;
    std::optional<std::string> value;
    static constexpr auto fields() {
      return std::tuple{field("name", &config::name, since(0)),
                        field("value", &config::value, since(0), since(0))};
    }
  };
  struct topic {
    std::string name;
    int32_t num_partitions = -1;      // -1: the broker's default
    int16_t replication_factor = -1;  // -1: the broker's default
    std::vector<assignment> assignments;
    std::vector<config> configs;
    static constexpr auto fields() {
      using t = topic;
      return std::tuple{
          field("name", &t::name, since(0)), field("num_partitions", &t::num_partitions, since(0)),
          field("replication_factor", &t::replication_factor, since(0)),
          field("assignments", &t::assignments, since(0)), field("configs", &t::configs, since(0))};
    }
  };
  std::vector<topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;

  static constexpr versions valid = between(0, 4);
  static constexpr versions flexible = since(5);
  static constexpr auto fields() {
    using r = create_topics_request;
    return std::tuple{field("topics", &r::topics, since(0)),
                      field("timeout_ms", &r::timeout_ms, since(0)),
                      field("validate_only", &r::validate_only, since(1))};
  }
};

struct create_topics_response {
  struct result {
    std::string name;
    error_code error = error_code::none;
    std::optional<std::string> message;
    static constexpr auto fields() {
      return std::tuple{field("name", &result::name, since(0)),
                        field("error_code", &result::error, since(0)),
                        field("error_message", &result::message, since(1), since(0))};
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<result> topics;

  static constexpr versions valid = between(0, 4);
  static constexpr versions flexible = since(5);
  static constexpr auto fields() {
    using r = create_topics_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(2)),
                      field("topics", &r::topics, since(0))};
  }
};

struct delete_topics_request {
  std::vector<std::string> topic_names;
  int32_t timeout_ms = 0;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = delete_topics_request;
    return std::tuple{field("topic_names", &r::topic_names, since(0)),
                      field("timeout_ms", &r::timeout_ms, since(0))};
  }
};

struct delete_topics_response {
  struct result {
    std::string name;
    error_code error = error_code::none;
    static constexpr auto fields() {
      return std::tuple{field("name", &result::name, since(0)),
                        field("error_code", &result::error, since(0))};
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<result> responses;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = delete_topics_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(1)),
                      field("responses", &r::responses, since(0))};
  }
};

inline constexpr int8_t resource_topic = 2;
inline constexpr int8_t resource_broker = 4;

struct describe_configs_request {
  struct resource {
    int8_t type = 0;
    std::string name;
    std::optional<std::vector<std::string>> keys;  // null: every config
    static constexpr auto fields() {
      return std::tuple{field("resource_type", &resource::type, since(0)),
                        field("resource_name", &resource::name, since(0)),
                        field("configuration_keys", &resource::keys, since(0), since(0))};
    }
  };
  std::vector<resource> resources;
  bool include_synonyms = false;
  bool include_documentation = false;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = describe_configs_request;
    return std::tuple{field("resources", &r::resources, since(0)),
                      field("include_synonyms", &r::include_synonyms, since(1)),
                      field("include_documentation", &r::include_documentation, since(3))};
  }
};

struct describe_configs_response {
  struct synonym {
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
    static constexpr auto fields() {
      return std::tuple{field("name", &synonym::name, since(1)),
                        field("value", &synonym::value, since(1), since(0)),
                        field("source", &synonym::source, since(1))};
    }
  };
  struct config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = true;
    bool is_default = true;
    int8_t source = 5;  // DEFAULT_CONFIG
    bool is_sensitive = false;
    std::vector<synonym> synonyms;
    int8_t type = 0;
    std::optional<std::string> documentation;
    static constexpr auto fields() {
      using c = config;
      return std::tuple{field("name", &c::name, since(0)),
                        field("value", &c::value, since(0), since(0)),
                        field("read_only", &c::read_only, since(0)),
                        field("is_default", &c::is_default, between(0, 0)),
                        field("config_source", &c::source, since(1)),
                        field("is_sensitive", &c::is_sensitive, since(0)),
                        field("synonyms", &c::synonyms, since(1)),
                        field("config_type", &c::type, since(3)),
                        field("documentation", &c::documentation, since(3), since(0))};
    }
  };
  struct result {
    error_code error = error_code::none;
    std::optional<std::string> message;
    int8_t type = 0;
    std::string name;
    std::vector<config> configs;
    static constexpr auto fields() {
      using r = result;
      return std::tuple{field("error_code", &r::error, since(0)),
                        field("error_message", &r::message, since(0), since(0)),
                        field("resource_type", &r::type, since(0)),
                        field("resource_name", &r::name, since(0)),
                        field("configs", &r::configs, since(0))};
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<result> results;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(4);
  static constexpr auto fields() {
    using r = describe_configs_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(0)),
                      field("results", &r::results, since(0))};
  }
};

}  // namespace sluice::kafka
