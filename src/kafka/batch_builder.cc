#include "kafka/batch_builder.h"

#include <algorithm>

#include "base/bytes.h"
#include "base/crc32c.h"
#include "kafka/record_batch.h"

namespace sluice::kafka {
namespace {

void write_nullable(byte_writer& w, const std::optional<std::string>& s) {
  if (!s) {
    w.write_varint(-1);
    return;
  }
  w.write_varint(static_cast<int32_t>(s->size()));
  w.write_bytes(std::string_view(*s));
}

}  // namespace

std::vector<uint8_t> build_batch(std::span<const record_input> records, batch_options o) {
  const int64_t base_ts = records.empty() ? 0 : records.front().timestamp;
  int64_t max_ts = base_ts;
  for (const auto& r : records) max_ts = std::max(max_ts, r.timestamp);

  byte_writer w;
  w.write_i64(0);  // base offset
  w.write_i32(0);  // batch length, patched
  w.write_i32(0);  // partition leader epoch
  w.write_i8(2);   // magic
  w.write_u32(0);  // crc, patched
  w.write_i16(0);  // attributes: no compression, create time
  w.write_i32(static_cast<int32_t>(records.size()) - 1);
  w.write_i64(base_ts);
  w.write_i64(max_ts);
  w.write_i64(o.pid.value());
  w.write_i16(o.epoch.value());
  w.write_i32(o.base_sequence);
  w.write_i32(static_cast<int32_t>(records.size()));
  for (size_t i = 0; i < records.size(); ++i) {
    byte_writer rec;
    rec.write_i8(0);  // attributes
    rec.write_varlong(records[i].timestamp - base_ts);
    rec.write_varint(static_cast<int32_t>(i));
    write_nullable(rec, records[i].key);
    write_nullable(rec, records[i].value);
    rec.write_varint(0);  // headers
    w.write_varint(static_cast<int32_t>(rec.size()));
    w.write_bytes(rec.view());
  }
  auto bytes = std::move(w).take();
  byte_writer patch;
  const auto len = static_cast<int32_t>(bytes.size() - batch_log_overhead);
  const uint32_t crc =
      crc32c::value(bytes_view(bytes.data() + batch_crc_start, bytes.size() - batch_crc_start));
  const uint32_t len_be = detail::to_big_endian(static_cast<uint32_t>(len));
  const uint32_t crc_be = detail::to_big_endian(crc);
  std::memcpy(bytes.data() + batch_length_offset, &len_be, 4);
  std::memcpy(bytes.data() + batch_crc_offset, &crc_be, 4);
  return bytes;
}

}  // namespace sluice::kafka
