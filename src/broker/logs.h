// The partition logs of every topic, opened at start and created with their topics. Partition
// directories are `<data_dir>/<topic>-<partition>`, as Kafka's.
// Thread-safety: none; owned and used by the broker's network thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "broker/producers.h"
#include "broker/topics.h"
#include "storage/partition_log.h"

namespace sluice::broker {

class log_manager {
 public:
  log_manager(std::filesystem::path dir, storage::log_options options)
      : dir_(std::move(dir)), options_(options) {}

  // Opens (and recovers) the logs of every partition of every topic.
  result<void> open_all(const topic_table& topics);
  // Opens the logs of a new topic's partitions.
  result<void> create(const topic_info& topic);

  struct partition {
    std::unique_ptr<storage::partition_log> log;
    producer_state producers;  // idempotent producers' sequences, rebuilt from the log at open
  };

  [[nodiscard]] partition* find_partition(std::string_view topic, int32_t partition);
  [[nodiscard]] storage::partition_log* find(std::string_view topic, int32_t p) {
    partition* found = find_partition(topic, p);
    return found == nullptr ? nullptr : found->log.get();
  }

  // Closes and deletes the logs of a deleted topic.
  result<void> remove(std::string_view topic, int32_t partitions);

  result<void> flush_all();
  // Applies retention to every log.
  result<void> enforce_retention(int64_t now_ms);
  // Closes every log cleanly (flush, indexes, clean-shutdown marker).
  result<void> close_all();

 private:
  std::filesystem::path dir_;
  storage::log_options options_;
  std::map<std::pair<std::string, int32_t>, partition, std::less<>> logs_;
};

}  // namespace sluice::broker
