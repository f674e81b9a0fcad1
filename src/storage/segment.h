// One segment of a partition log: a file of record batches stored exactly as produced (base
// offset and leader epoch rewritten), named by the offset of its first record, with a sparse
// offset index and a time index. See docs/log-format.md for the bytes on disk.
//
// The indexes live in memory while the segment is open, are written next to it when it is closed
// cleanly, and are rebuilt by scanning the segment when they are missing or the broker stopped
// uncleanly. Thread-safety: none; a segment belongs to its partition_log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/types.h"
#include "kafka/record_batch.h"

namespace sluice::storage {

enum class errc {
  ok = 0,
  io,                   // the operating system refused a read or write
  corrupt,              // bytes on disk that are not a valid batch (reported, then truncated)
  offset_out_of_range,  // a read before the log start or after its end
  invalid_batch,        // a produced batch that fails validation
};
std::string_view describe(errc e);
std::string_view category_name(errc);

// File names: 20-digit zero-padded base offset, as Kafka.
std::filesystem::path segment_path(const std::filesystem::path& dir, offset base,
                                   std::string_view extension);

// One entry per index_interval_bytes of log: where a batch starts, and the largest timestamp up to
// and including it. It is both the offset index and the time index.
struct index_entry {
  offset first;           // first offset of the batch
  uint32_t position;      // byte position of the batch in the segment file
  int64_t max_timestamp;  // largest max_timestamp of this and every earlier batch
};

class segment {
 public:
  // A new, empty segment. Fails if the files exist.
  static result<std::unique_ptr<segment>> create(const std::filesystem::path& dir, offset base,
                                                 uint32_t index_interval_bytes);
  // An existing segment. With `trust_indexes` and readable index files, they are loaded; otherwise
  // the segment is scanned batch by batch (size, magic, CRC) and truncated at the first invalid
  // batch, and the indexes are rebuilt. `recovered_bytes` reports what was truncated.
  static result<std::unique_ptr<segment>> open(const std::filesystem::path& dir, offset base,
                                               uint32_t index_interval_bytes, bool trust_indexes,
                                               uint64_t& truncated_bytes);
  ~segment();
  segment(const segment&) = delete;
  segment& operator=(const segment&) = delete;

  [[nodiscard]] offset base() const { return base_; }
  [[nodiscard]] offset next_offset() const { return next_; }
  [[nodiscard]] uint64_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] int64_t max_timestamp() const { return max_timestamp_; }
  [[nodiscard]] int64_t created_ms() const { return created_ms_; }

  // Appends one validated batch whose base offset is already next_offset().
  result<void> append(bytes_view batch, const kafka::batch_header& h);

  // Keeps at most about `cache_bytes` of the segment's newest bytes in the page cache (0: no
  // limit): whole MiBs are handed to writeback as appends complete them, and once they are more
  // than `cache_bytes` behind the end, waited for and dropped from the cache. Sustained writes then
  // neither pile up dirty pages, which stalls every writer once the kernel's dirty limit is
  // reached, nor grow the page cache without bound. Durability is unchanged: that is flush()'s
  // business.
  result<void> write_behind(uint64_t cache_bytes);

  // Whole batches starting with the one that contains `from`, up to `max_bytes`; the first batch
  // is returned even when larger. Empty when `from` is at or past the end.
  result<std::vector<uint8_t>> read(offset from, size_t max_bytes) const;

  // The first offset of the earliest batch whose max timestamp is >= ts, if any.
  result<std::optional<offset>> offset_for_timestamp(int64_t ts) const;

  // Calls `fn` with the header of every batch, in order (reads headers only).
  result<void> for_each_header(const std::function<void(const kafka::batch_header&)>& fn) const;

  result<void> flush();
  // Flushes and writes the index files (for a fast start); the segment stays readable. Called when
  // a segment stops being the active one.
  result<void> seal();
  // seal(), then closes the file.
  result<void> close();
  // Deletes the segment's files (retention).
  void remove();

 private:
  segment(std::filesystem::path dir, offset base, uint32_t index_interval_bytes, int fd);
  result<void> scan(uint64_t& truncated_bytes);
  // Bookkeeping for a batch now at `position`: indexes, next offset, size.
  void record(const kafka::batch_header& h, uint64_t position);
  bool load_indexes();
  result<void> write_indexes() const;
  // Position of the batch that contains `target`, by index then by scanning headers.
  result<std::optional<std::pair<uint32_t, kafka::batch_header>>> locate(offset target) const;

  std::filesystem::path dir_;
  offset base_;
  offset next_;
  uint32_t index_interval_bytes_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t bytes_since_index_ = 0;
  int64_t max_timestamp_ = -1;
  int64_t created_ms_ = 0;
  uint64_t writeback_started_ = 0;  // bytes before this were handed to writeback
  uint64_t cache_dropped_ = 0;      // bytes before this were written back and dropped from cache
  std::vector<index_entry> index_;
};

}  // namespace sluice::storage
