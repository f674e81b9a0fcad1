// Which offset of each partition may be committed. Records are written concurrently and finish
// out of order; a partition's committed offset may only pass a record once that record and every
// earlier one are done (written, filtered out, or dead-lettered), or a crash could skip a record
// that was never written. Offsets are dispatched in increasing order per partition (Kafka's order;
// gaps, as compaction or transaction markers leave, are fine).
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace sluice::process {

class offset_tracker {
 public:
  // A record taken from the partition, about to be processed.
  void dispatched(int32_t partition, int64_t offset);
  // That record is done. Unknown offsets (a partition since forgotten) are ignored.
  void done(int32_t partition, int64_t offset);

  // Per partition that has dispatched anything: the offset to commit (the next record to read
  // after a restart), which is the oldest unfinished record, or one past the last dispatched.
  [[nodiscard]] std::vector<std::pair<int32_t, int64_t>> committable() const;
  // As committable(), only the partitions whose offset moved since the last call of changes().
  std::vector<std::pair<int32_t, int64_t>> changes();

  // Makes the next changes() return every partition again (a commit failed).
  void resend();

  [[nodiscard]] size_t in_flight() const;
  // Drops what is known of a partition (revoked from this instance).
  void forget(int32_t partition);

 private:
  struct partition_state {
    std::deque<std::pair<int64_t, bool>> pending;  // dispatched offsets, oldest first; done?
    int64_t next = 0;                              // one past the last dispatched
    int64_t reported = -1;                         // what changes() last returned
  };
  static int64_t commit_point(const partition_state& p) {
    return p.pending.empty() ? p.next : p.pending.front().first;
  }

  mutable std::mutex mu_;
  std::map<int32_t, partition_state> partitions_;
  size_t in_flight_ = 0;
};

}  // namespace sluice::process
