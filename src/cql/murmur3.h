// Cassandra's Murmur3Partitioner token: the first 64 bits of MurmurHash3 x64_128 (seed 0) of the
// serialized partition key, as Cassandra computes it, including its sign extension of the tail
// bytes (so tokens match a real cluster's, and a driver's token-aware routing). Long.MIN_VALUE is
// mapped to Long.MAX_VALUE, as Cassandra does; the empty key is the partitioner's minimum token
// and is the caller's case. Pure; thread-safe.
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace sluice::cql {

int64_t murmur3_token(bytes_view key);

}  // namespace sluice::cql
