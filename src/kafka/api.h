// Kafka protocol vocabulary: API keys, version ranges and error codes, as numbered on the wire.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "base/error.h"

namespace sluice::kafka {

enum class api_key : int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  describe_groups = 15,
  list_groups = 16,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
  init_producer_id = 22,
  describe_configs = 32,
  delete_groups = 42,
  offset_delete = 47,
};
std::string_view name(api_key k);

// An inclusive range of versions; `never` is empty.
struct versions {
  int16_t min = 0;
  int16_t max = -1;
  [[nodiscard]] constexpr bool contains(int16_t v) const { return v >= min && v <= max; }
  [[nodiscard]] constexpr bool empty() const { return max < min; }
};
inline constexpr versions never{0, -1};
constexpr versions since(int16_t v) { return {v, std::numeric_limits<int16_t>::max()}; }
constexpr versions between(int16_t a, int16_t b) { return {a, b}; }

// Kafka's error codes (the subset sluice produces), as sent in responses.
enum class error_code : int16_t {
  none = 0,
  unknown_server_error = -1,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  invalid_fetch_size = 4,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  message_too_large = 10,
  offset_metadata_too_large = 12,
  coordinator_not_available = 15,
  not_coordinator = 16,
  invalid_topic_exception = 17,
  record_list_too_large = 18,
  illegal_generation = 22,
  inconsistent_group_protocol = 23,
  invalid_group_id = 24,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  invalid_required_acks = 21,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_config = 40,
  invalid_request = 42,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  unknown_producer_id = 59,
  non_empty_group = 68,
  group_id_not_found = 69,
  member_id_required = 79,
  group_max_size_reached = 81,
  fenced_instance_id = 82,
  group_subscribed_to_topic = 86,
};

// Failures of decoding a request, mapped to a closed connection or an error response by the
// server.
enum class errc {
  ok = 0,
  malformed,            // the bytes do not follow the message's layout
  unsupported_version,  // the API exists but not at this version
  unknown_api,          // the API key is not one sluice serves
};
std::string_view describe(errc e);
std::string_view category_name(errc);

}  // namespace sluice::kafka
