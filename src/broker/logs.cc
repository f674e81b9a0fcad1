#include "broker/logs.h"

#include <fmt/format.h>

namespace sluice::broker {

result<void> log_manager::create(const topic_info& topic) {
  for (int32_t p = 0; p < topic.partitions; ++p) {
    auto key = std::pair{topic.name, p};
    if (logs_.contains(key)) continue;
    auto log = storage::partition_log::open(dir_ / fmt::format("{}-{}", topic.name, p), options_);
    if (!log) return std::unexpected(std::move(log).error());
    partition part{std::move(*log), {}};
    SLUICE_TRY(
        part.log->for_each_header([&](const kafka::batch_header& h) { part.producers.record(h); }));
    logs_.emplace(std::move(key), std::move(part));
  }
  return {};
}

result<void> log_manager::open_all(const topic_table& topics) {
  for (const topic_info* t : topics.all()) SLUICE_TRY(create(*t));
  return {};
}

log_manager::partition* log_manager::find_partition(std::string_view topic, int32_t p) {
  auto it = logs_.find(std::pair{std::string(topic), p});
  return it == logs_.end() ? nullptr : &it->second;
}

result<void> log_manager::remove(std::string_view topic, int32_t partitions) {
  for (int32_t p = 0; p < partitions; ++p) {
    auto it = logs_.find(std::pair{std::string(topic), p});
    if (it != logs_.end()) logs_.erase(it);  // closes the files
    std::error_code ec;
    std::filesystem::remove_all(dir_ / fmt::format("{}-{}", topic, p), ec);
    if (ec) {
      return make_error(errc::storage, fmt::format("delete {}-{}: {}", topic, p, ec.message()));
    }
  }
  return {};
}

result<void> log_manager::flush_all() {
  for (auto& [_, p] : logs_) SLUICE_TRY(p.log->flush());
  return {};
}

result<void> log_manager::enforce_retention(int64_t now_ms) {
  for (auto& [_, p] : logs_) SLUICE_TRY(p.log->enforce_retention(now_ms));
  return {};
}

result<void> log_manager::close_all() {
  result<void> first_error;
  for (auto& [_, p] : logs_) {
    if (auto r = p.log->close(); !r && first_error) first_error = std::move(r);
  }
  return first_error;
}

}  // namespace sluice::broker
