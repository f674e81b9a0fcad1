// The value stored under a row key (and under a partition's header key): cells with write
// timestamps and TTLs, a row marker (INSERT's "this row exists"), a deletion time that hides
// everything written at or before it, and, in partition headers, clustering-range deletions.
// Records merge by Cassandra's last-write-wins rules, so writes are blind (RocksDB merges,
// no read before write) and their order of arrival does not matter: merge is associative and
// commutative. The layout is in docs/store-format.md. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::store {

inline constexpr int64_t no_timestamp = std::numeric_limits<int64_t>::min();

// A liveness: written at `timestamp`, dead from `expires` (seconds since the epoch; 0: never).
struct liveness {
  int64_t timestamp = no_timestamp;
  int32_t ttl = 0;
  int32_t expires = 0;
  [[nodiscard]] bool present() const { return timestamp != no_timestamp; }
  [[nodiscard]] bool alive(int32_t now_s) const {
    return present() && (expires == 0 || now_s < expires);
  }
};

struct cell_record {
  uint16_t column = 0;  // the column's ordinal in its table's schema
  liveness written;
  bool tombstone = false;
  std::string_view value;  // into the buffer the record was decoded from (or built over)
};

// A clustering bound in the row keys' encoded form.
struct bound {
  std::string_view prefix;  // encoded clustering components; empty with `inclusive`: unbounded
  bool inclusive = true;
};

// Rows whose encoded clustering key lies in [start, end] under the bounds' rules, deleted at
// `timestamp`.
struct range_deletion {
  int64_t timestamp = no_timestamp;
  bound start;
  bound end;
};

// Whether an encoded clustering key lies within the bounds: an inclusive start admits keys that
// extend its prefix, an exclusive one refuses them; an inclusive end admits keys that extend its
// prefix, an exclusive one stops before them. An empty inclusive start or end is unbounded.
bool within(std::string_view clustering, const bound& start, const bound& end);

struct record {
  // The row's primary-key values as bound ([u32 length][bytes] each, partition key then
  // clustering), since key encodings do not keep every detail (a decimal's scale).
  std::string_view keys;
  int64_t deleted_at = no_timestamp;   // hides what was written at or before it
  liveness marker;                     // set by INSERT
  std::vector<range_deletion> ranges;  // partition headers only
  std::vector<cell_record> cells;      // sorted by column, one per column

  [[nodiscard]] const cell_record* find(uint16_t column) const;
  // Whether the row exists at `now_s`: a live marker or a live cell.
  [[nodiscard]] bool alive(int32_t now_s) const;
};

std::string encode(const record& r);
// Views into `bytes`, which must outlive the record.
result<record> decode_record(std::string_view bytes);

// Last write wins: the later timestamp; at a tie a deletion beats a value, and of two values
// the greater bytes (as Cassandra). Deletions drop what they cover.
record merge(const record& older, const record& newer);

// The RocksDB merge function over encoded records. An operand that cannot be decoded (it would
// take corruption that RocksDB's checksums missed) is dropped rather than poisoning the row.
std::string merge_encoded(std::optional<std::string_view> existing,
                          std::span<const std::string_view> operands);

}  // namespace sluice::store
