// Row keys (docs/store-format.md):
//
//   partition prefix = table id (u32 BE) | token (8 bytes, sign-flipped BE) | partition key
//                      components
//   partition header = prefix | 0x00         (partition deletion, range deletions, static cells)
//   row              = prefix | 0x01 | clustering components (DESC columns inverted)
//
// so a partition's header sorts before its rows and partitions sort by token, as Cassandra
// orders them. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "store/schema.h"

namespace sluice::store {

inline constexpr char header_tag = '\0';
inline constexpr char row_tag = '\1';

std::string table_prefix(uint32_t table_id);
// The key just after every key of the table.
std::string table_end(uint32_t table_id);

// Cassandra's serialized partition key: the value itself, or for a composite key each component
// as [u16 length][bytes][0x00].
std::vector<uint8_t> serialized_partition_key(std::span<const bytes_view> values);
int64_t token_of(std::span<const bytes_view> partition_key_values);

// `values`: one per partition key column, in order, valid for their types and not empty.
result<std::string> partition_prefix(const table_schema& t, std::span<const bytes_view> values);
// The prefix of every partition whose token is >= `token` (scans by token start here).
std::string token_prefix(uint32_t table_id, int64_t token);

// The encoded components of the first values.size() clustering columns.
result<std::string> clustering_prefix(const table_schema& t, std::span<const bytes_view> values);

// [u32 length][bytes] for each value, as record::keys holds them; and back.
std::string pack_values(std::span<const bytes_view> values);
std::vector<bytes_view> unpack_values(std::string_view packed);

// The token in a row or header key (after the 4-byte table id).
int64_t token_in(std::string_view key);

}  // namespace sluice::store
