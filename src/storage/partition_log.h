// The log of one partition: an ordered list of segments, of which the last is active. Appends
// validate each record batch (v2, CRC-32C) and assign offsets; reads return whole batches as
// stored. Segments roll by size and age; retention deletes whole old segments by size and age.
//
// Crash safety: a clean close leaves a marker and index files; opening without the marker
// re-scans the active segment batch by batch and truncates at the first invalid batch, so the log
// always ends on a whole, valid batch. What survives a crash is what was flushed: see flush().
// Thread-safety: none; the broker serializes access.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "storage/segment.h"

namespace sluice::storage {

struct log_options {
  uint64_t segment_bytes = 1ull << 30;  // roll when the active segment would exceed
  std::chrono::milliseconds segment_age{7 * 24 * 3600 * 1000ll};    // roll when older than this
  int64_t retention_bytes = -1;                                     // -1: no size limit
  std::chrono::milliseconds retention_age{7 * 24 * 3600 * 1000ll};  // -1 ms: keep forever
  uint32_t index_interval_bytes = 4096;
  // Newest bytes of the active segment left in the page cache; older ones are written back and
  // dropped (segment::write_behind). 0: the page cache is left to the operating system.
  uint64_t cache_bytes = 16 << 20;
};

struct append_result {
  offset base;  // offset of the first record appended
  offset last;  // offset of the last record appended
};

class partition_log {
 public:
  static result<std::unique_ptr<partition_log>> open(std::filesystem::path dir, log_options o);
  ~partition_log();

  // Appends the batches in `batches` (one or more, back to back), rewriting their base offsets in
  // place. All are validated before any is written: a bad batch rejects the whole request.
  result<append_result> append(std::span<uint8_t> batches);

  // Whole batches from the one containing `from`, up to max_bytes (at least one batch). Empty at
  // the log end; errc::offset_out_of_range before the start or past the end.
  result<std::vector<uint8_t>> read(offset from, size_t max_bytes) const;

  // Earliest offset whose batch has a timestamp >= ts; end() if none.
  result<offset> offset_for_timestamp(int64_t ts) const;

  [[nodiscard]] offset start() const { return segments_.front()->base(); }
  [[nodiscard]] offset end() const { return segments_.back()->next_offset(); }
  [[nodiscard]] uint64_t size_bytes() const;
  [[nodiscard]] size_t segment_count() const { return segments_.size(); }
  // Bytes truncated by recovery when the log was opened.
  [[nodiscard]] uint64_t recovered_bytes() const { return recovered_bytes_; }

  // Makes everything appended so far durable (fdatasync of the active segment).
  // Calls `fn` with the header of every batch in the log, in offset order.
  result<void> for_each_header(const std::function<void(const kafka::batch_header&)>& fn) const;

  result<void> flush();
  // Deletes old segments beyond retention, never the active one. Returns how many were deleted.
  result<size_t> enforce_retention(int64_t now_ms);
  // Flushes, writes indexes and the clean-shutdown marker. Further use is an error. Destroying the
  // log without close() is what a crash looks like to the next open().
  result<void> close();

 private:
  partition_log(std::filesystem::path dir, log_options o) : dir_(std::move(dir)), options_(o) {}
  result<void> roll();

  std::filesystem::path dir_;
  log_options options_;
  std::vector<std::unique_ptr<segment>> segments_;
  uint64_t recovered_bytes_ = 0;
  bool closed_ = false;
};

}  // namespace sluice::storage
