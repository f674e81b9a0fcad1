// Idempotent producers: ids handed out by InitProducerId, and per partition the sequence state
// that lets the broker drop a retried batch instead of appending it twice.
//
// Ids are allocated from blocks whose upper bound is persisted before any id of the block is used,
// so an id is never handed out twice, even across crashes. Per partition, the state of each
// producer (epoch, and the sequence numbers and offsets of its last five batches, the most a
// producer has in flight) is rebuilt at start from the batch headers in the log, as Kafka does.
// Thread-safety: none; used on the broker's network thread.
#pragma once

#include <deque>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "base/types.h"
#include "kafka/api.h"
#include "kafka/record_batch.h"

namespace sluice::broker {

class producer_id_allocator {
 public:
  static result<producer_id_allocator> open(std::filesystem::path dir);
  result<producer_id> next();
  // Whether `id` was handed out by this broker (ids below the persisted block end).
  [[nodiscard]] bool allocated(producer_id id) const {
    return id.value() >= 0 && id.value() < block_end_;
  }

 private:
  explicit producer_id_allocator(std::filesystem::path file) : file_(std::move(file)) {}
  std::filesystem::path file_;
  int64_t next_ = 0;
  int64_t block_end_ = 0;  // persisted: ids below it may have been handed out
};

// What to do with a batch of an idempotent producer.
struct sequence_verdict {
  kafka::error_code error = kafka::error_code::none;
  std::optional<offset> duplicate_of;  // a retry of a batch already stored at this offset
};

class producer_state {
 public:
  // Checks a batch against what this partition has seen from its producer.
  [[nodiscard]] sequence_verdict check(const kafka::batch_header& h) const;
  // Records a batch once appended (or read back from the log at start).
  void record(const kafka::batch_header& h);

 private:
  struct batch_meta {
    int32_t first_seq;
    int32_t last_seq;
    offset first_offset;
  };
  struct entry {
    producer_epoch epoch;
    std::deque<batch_meta> recent;  // at most five, oldest first
  };
  std::unordered_map<producer_id, entry> producers_;
};

}  // namespace sluice::broker
