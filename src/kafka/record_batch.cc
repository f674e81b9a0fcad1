#include "kafka/record_batch.h"

#include <cstring>

#include <fmt/format.h>

#include "base/crc32c.h"
#include "kafka/api.h"

namespace sluice::kafka {

result<batch_header> read_batch_header(bytes_view bytes) {
  byte_reader r(bytes);
  batch_header h;
  h.base_offset = offset(SLUICE_TRY(r.read_i64()));
  h.batch_length = SLUICE_TRY(r.read_i32());
  h.partition_leader_epoch = SLUICE_TRY(r.read_i32());
  h.magic = SLUICE_TRY(r.read_i8());
  h.crc = SLUICE_TRY(r.read_u32());
  h.attributes = SLUICE_TRY(r.read_i16());
  h.last_offset_delta = SLUICE_TRY(r.read_i32());
  h.base_timestamp = SLUICE_TRY(r.read_i64());
  h.max_timestamp = SLUICE_TRY(r.read_i64());
  h.pid = producer_id(SLUICE_TRY(r.read_i64()));
  h.epoch = producer_epoch(SLUICE_TRY(r.read_i16()));
  h.base_sequence = SLUICE_TRY(r.read_i32());
  h.records_count = SLUICE_TRY(r.read_i32());
  return h;
}

result<batch_header> validate_batch(bytes_view bytes) {
  if (bytes.size() < batch_header_size) {
    return make_error(errc::malformed, fmt::format("record batch of {} bytes is shorter than its "
                                                   "61-byte header",
                                                   bytes.size()));
  }
  batch_header h = SLUICE_TRY(read_batch_header(bytes));
  if (h.magic != 2) {
    return make_error(
        errc::malformed,
        fmt::format("record batch magic {} (only message format v2 is supported)", h.magic));
  }
  if (h.batch_length < static_cast<int32_t>(batch_header_size - batch_log_overhead) ||
      h.total_size() > bytes.size()) {
    return make_error(errc::malformed, fmt::format("record batch length {} does not fit {} bytes",
                                                   h.batch_length, bytes.size()));
  }
  if (h.compression() > 4) {
    return make_error(errc::malformed,
                      fmt::format("record batch compression code {} is unknown", h.compression()));
  }
  if (h.is_control() || h.is_transactional()) {
    return make_error(errc::malformed, "transactional and control batches are not supported");
  }
  if (h.records_count <= 0 || h.last_offset_delta < 0 ||
      (h.records_count > 0 && h.last_offset_delta < h.records_count - 1)) {
    return make_error(errc::malformed,
                      fmt::format("record batch with {} records and last offset delta {}",
                                  h.records_count, h.last_offset_delta));
  }
  const uint32_t crc =
      crc32c::value(bytes.subspan(batch_crc_start, h.total_size() - batch_crc_start));
  if (crc != h.crc) {
    return make_error(errc::malformed, fmt::format("record batch CRC {:08x} does not match its "
                                                   "contents ({:08x})",
                                                   h.crc, crc));
  }
  return h;
}

void set_base_offset(uint8_t* batch, offset base) {
  const uint64_t be = detail::to_big_endian(static_cast<uint64_t>(base.value()));
  std::memcpy(batch, &be, 8);
}

void set_partition_leader_epoch(uint8_t* batch, int32_t epoch) {
  const uint32_t be = detail::to_big_endian(static_cast<uint32_t>(epoch));
  std::memcpy(batch + 12, &be, 4);
}

}  // namespace sluice::kafka
