// Order-preserving encodings of primary-key values: bytes that sort (as unsigned bytes, the way
// RocksDB's default comparator sorts) exactly as Cassandra orders the values. The store builds
// its row keys from them (docs/store-format.md):
//
//   table id | token (Murmur3, sign-flipped big-endian) | partition key components |
//   clustering key components (each inverted when the column is DESC)
//
// Per type: integers, timestamps and times with the sign bit flipped; date as is (unsigned);
// float and double by the IEEE trick (negatives inverted, positives sign-flipped), so that
// -0.0 < 0.0 and NaN sorts last as in Java; text, ascii, blob and inet escaped (0x00 -> 0x00 0xFF)
// and terminated by 0x00 0x00, so that a prefix sorts first; varint by sign, length and two's
// complement bytes; decimal normalized (1.5 and 1.50 are the same key, as Cassandra compares
// them) into sign, exponent and digits; timeuuid by timestamp, then the rest as signed bytes;
// uuid by version, then as timeuuid for version 1, else as unsigned bytes.
// Pure functions; thread-safe.
#pragma once

#include "base/bytes.h"
#include "base/error.h"
#include "cql/types.h"

namespace sluice::cql {

// Appends one key component. The value must be valid for its type (data_type::validate).
// Collections cannot be keys: errc::invalid_type.
result<void> encode_key_component(const data_type& type, bytes_view value, bool descending,
                                  byte_writer& out);

// The length of the component at the start of `encoded` (written by encode_key_component with
// the same type and direction): errc::malformed when it does not fit.
result<size_t> key_component_size(const data_type& type, bytes_view encoded, bool descending);

// The token's 8 bytes, ordered as the signed token is.
void encode_token(int64_t token, byte_writer& out);

}  // namespace sluice::cql
