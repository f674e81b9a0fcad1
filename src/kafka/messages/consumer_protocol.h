// The "consumer" embedded protocol: what consumers put in JoinGroup's protocol metadata (their
// subscription) and what the leader puts in SyncGroup's assignments. The broker treats both as
// opaque bytes; it reads them only to answer questions about a group (which topics it subscribes
// to, which member owns a partition). Each starts with its own int16 version; newer versions only
// append fields, so a version above the newest known one is read as the newest known one.
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

struct consumer_topic_partitions {
  std::string topic;
  std::vector<int32_t> partitions;
  static constexpr auto fields() {
    using t = consumer_topic_partitions;
    return std::tuple{field("topic", &t::topic, since(0)),
                      field("partitions", &t::partitions, since(0))};
  }
};

struct consumer_subscription {
  std::vector<std::string> topics;
  std::optional<bytes_view> user_data;
  std::vector<consumer_topic_partitions> owned_partitions;
  static constexpr auto fields() {
    using s = consumer_subscription;
    return std::tuple{field("topics", &s::topics, since(0)),
                      field("user_data", &s::user_data, since(0), since(0)),
                      field("owned_partitions", &s::owned_partitions, since(1))};
  }
};

struct consumer_assignment {
  std::vector<consumer_topic_partitions> partitions;
  std::optional<bytes_view> user_data;
  static constexpr auto fields() {
    using a = consumer_assignment;
    return std::tuple{field("assigned_partitions", &a::partitions, since(0)),
                      field("user_data", &a::user_data, since(0), since(0))};
  }
};

// Reads the version prefix, then the fields known at that version; trailing bytes (fields of
// newer versions) are ignored, as Kafka does.
template <class T>
result<T> decode_embedded(bytes_view bytes, int16_t newest_known) {
  byte_reader r(bytes);
  const int16_t version = SLUICE_TRY(r.read_i16());
  if (version < 0) return detail::malformed(fmt::format("version {}", version));
  T out;
  SLUICE_TRY(read_value(r, layout{std::min(version, newest_known), false}, out));
  return out;
}

inline result<consumer_subscription> decode_subscription(bytes_view bytes) {
  return decode_embedded<consumer_subscription>(bytes, 1);
}
inline result<consumer_assignment> decode_assignment(bytes_view bytes) {
  return decode_embedded<consumer_assignment>(bytes, 0);
}

}  // namespace sluice::kafka
