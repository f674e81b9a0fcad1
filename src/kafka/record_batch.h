// Record batch v2 (message format v2), the unit a producer sends and the broker stores as is.
//
//   offset  field                   notes
//        0  base_offset int64       assigned by the broker on append (outside the CRC)
//        8  batch_length int32      bytes after this field
//       12  partition_leader_epoch  set by the broker (outside the CRC)
//       16  magic int8              2
//       17  crc uint32              CRC-32C of bytes 21..end
//       21  attributes int16        bits 0-2 compression, 3 timestamp type, 4 transactional,
//                                   5 control
//       23  last_offset_delta int32
//       27  base_timestamp int64
//       35  max_timestamp int64
//       43  producer_id int64
//       51  producer_epoch int16
//       53  base_sequence int32
//       57  records_count int32
//       61  records (possibly compressed; the broker never needs to look inside)
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/types.h"

namespace sluice::kafka {

inline constexpr size_t batch_header_size = 61;
inline constexpr size_t batch_length_offset = 8;
inline constexpr size_t batch_crc_offset = 17;
inline constexpr size_t batch_crc_start = 21;
// Bytes of a batch before its batch_length field counts: base_offset and batch_length itself.
inline constexpr size_t batch_log_overhead = 12;

struct batch_header {
  offset base_offset;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = 0;
  int8_t magic = 0;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  producer_id pid{-1};
  producer_epoch epoch{-1};
  int32_t base_sequence = -1;
  int32_t records_count = 0;

  [[nodiscard]] size_t total_size() const {
    return batch_log_overhead + static_cast<size_t>(batch_length);
  }
  [[nodiscard]] offset last_offset() const { return base_offset + last_offset_delta; }
  [[nodiscard]] int compression() const { return attributes & 0x7; }
  [[nodiscard]] bool is_transactional() const { return (attributes & 0x10) != 0; }
  [[nodiscard]] bool is_control() const { return (attributes & 0x20) != 0; }
};

// Reads the header at the start of `bytes` (at least batch_header_size long) without checking it.
result<batch_header> read_batch_header(bytes_view bytes);

// Checks one whole batch: magic 2, a length that covers the header and fits `bytes`, a record
// count consistent with last_offset_delta, and the CRC. Returns its header.
result<batch_header> validate_batch(bytes_view bytes);

// Overwrites the fields the broker owns (both outside the CRC).
void set_base_offset(uint8_t* batch, offset base);
void set_partition_leader_epoch(uint8_t* batch, int32_t epoch);

}  // namespace sluice::kafka
