// Frame body compression of the native protocol v4 (negotiated with STARTUP's COMPRESSION): LZ4,
// as [int: uncompressed length, big-endian] followed by one LZ4 block. Shared by the store and
// the client. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace sluice::cql {

std::vector<uint8_t> lz4_compress(bytes_view body);
// Refuses a body that claims to expand beyond `max_bytes` or does not decode to its claim.
result<std::vector<uint8_t>> lz4_decompress(bytes_view compressed, size_t max_bytes);

}  // namespace sluice::cql
