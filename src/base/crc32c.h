// CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected as 0x82F63B78), as used by Kafka record
// batches v2. Uses the SSE4.2 crc32 instruction when the CPU has it, else a slicing-by-8 table.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"

namespace sluice::crc32c {

// CRC of `data` continuing from `crc` (0 for a fresh checksum): extend(extend(0, a), b) ==
// value(a + b).
uint32_t extend(uint32_t crc, bytes_view data);
inline uint32_t value(bytes_view data) { return extend(0, data); }
inline uint32_t value(std::string_view data) { return extend(0, as_bytes_view(data)); }

// The two implementations, exposed so tests and benchmarks can compare them.
uint32_t extend_portable(uint32_t crc, bytes_view data);
uint32_t extend_hardware(uint32_t crc, bytes_view data);  // requires has_hardware()
bool has_hardware();

}  // namespace sluice::crc32c
