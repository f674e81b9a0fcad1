// The identifiers that cross module boundaries, as distinct types (see strong_type.h).
#pragma once

#include <cstdint>

#include "base/strong_type.h"

namespace sluice {

// Position of a record in a Kafka partition log.
using offset = named_type<int64_t, struct offset_tag>;
// Index of a partition within a topic.
using partition_id = named_type<int32_t, struct partition_id_tag>;
// Consumer-group generation, bumped by every completed rebalance.
using generation_id = named_type<int32_t, struct generation_id_tag>;
// Schema registry id (Confluent wire format: 4-byte id after the magic byte).
using schema_id = named_type<int32_t, struct schema_id_tag>;
// Idempotent-producer identity.
using producer_id = named_type<int64_t, struct producer_id_tag>;
using producer_epoch = named_type<int16_t, struct producer_epoch_tag>;

}  // namespace sluice
