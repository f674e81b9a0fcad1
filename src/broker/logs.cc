#include "broker/logs.h"

#include <fmt/format.h>

namespace sluice::broker {

result<void> log_manager::create(const topic_info& topic) {
  for (int32_t p = 0; p < topic.partitions; ++p) {
    auto key = std::pair{topic.name, p};
    if (logs_.contains(key)) continue;
    auto log = storage::partition_log::open(dir_ / fmt::format("{}-{}", topic.name, p), options_);
    if (!log) return std::unexpected(std::move(log).error());
    logs_.emplace(std::move(key), std::move(*log));
  }
  return {};
}

result<void> log_manager::open_all(const topic_table& topics) {
  for (const topic_info* t : topics.all()) SLUICE_TRY(create(*t));
  return {};
}

storage::partition_log* log_manager::find(std::string_view topic, int32_t partition) {
  auto it = logs_.find(std::pair{std::string(topic), partition});
  return it == logs_.end() ? nullptr : it->second.get();
}

result<void> log_manager::flush_all() {
  for (auto& [_, log] : logs_) SLUICE_TRY(log->flush());
  return {};
}

result<void> log_manager::enforce_retention(int64_t now_ms) {
  for (auto& [_, log] : logs_) SLUICE_TRY(log->enforce_retention(now_ms));
  return {};
}

result<void> log_manager::close_all() {
  result<void> first_error;
  for (auto& [_, log] : logs_) {
    if (auto r = log->close(); !r && first_error) first_error = std::move(r);
  }
  return first_error;
}

}  // namespace sluice::broker
