#include "storage/partition_log.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"

namespace sluice::storage {
namespace {

constexpr std::string_view clean_marker = "clean_shutdown";

}  // namespace

result<std::unique_ptr<partition_log>> partition_log::open(std::filesystem::path dir,
                                                           log_options o) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(errc::io, fmt::format("create {}: {}", dir.string(), ec.message()));
  std::unique_ptr<partition_log> log(new partition_log(dir, o));

  std::vector<int64_t> bases;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() != ".log" || name.size() != 24) continue;
    int64_t base = 0;
    auto [p, err] = std::from_chars(name.data(), name.data() + 20, base);
    if (err == std::errc() && p == name.data() + 20) bases.push_back(base);
  }
  if (ec) return make_error(errc::io, fmt::format("list {}: {}", dir.string(), ec.message()));
  std::sort(bases.begin(), bases.end());

  const bool clean = std::filesystem::exists(dir / clean_marker);
  if (clean) std::filesystem::remove(dir / clean_marker, ec);
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool active = i + 1 == bases.size();
    uint64_t truncated = 0;
    auto seg = segment::open(dir, offset(bases[i]), o.index_interval_bytes,
                             /*trust_indexes=*/clean || !active, truncated);
    if (!seg) return std::unexpected(std::move(seg).error());
    log->recovered_bytes_ += truncated;
    if (!log->segments_.empty() && (*seg)->base() != log->segments_.back()->next_offset()) {
      return make_error(errc::corrupt, fmt::format("{}: segment {} does not follow the previous "
                                                   "one, which ends at {}",
                                                   dir.string(), (*seg)->base(),
                                                   log->segments_.back()->next_offset()));
    }
    log->segments_.push_back(std::move(*seg));
  }
  if (log->segments_.empty()) {
    auto seg = segment::create(dir, offset(0), o.index_interval_bytes);
    if (!seg) return std::unexpected(std::move(seg).error());
    log->segments_.push_back(std::move(*seg));
  }
  if (!clean && !bases.empty()) {
    log::get("storage")->info(
        "{}: recovered after an unclean stop, log ends at offset {}{}", dir.string(), log->end(),
        log->recovered_bytes_ > 0 ? fmt::format(" ({} byte(s) truncated)", log->recovered_bytes_)
                                  : "");
  }
  return log;
}

// Without close() no clean marker is written: the next open treats the stop as a crash.
partition_log::~partition_log() = default;

uint64_t partition_log::size_bytes() const {
  uint64_t n = 0;
  for (const auto& s : segments_) n += s->size();
  return n;
}

result<void> partition_log::roll() {
  segment& active = *segments_.back();
  SLUICE_TRY(active.seal());
  auto seg = SLUICE_TRY(segment::create(dir_, active.next_offset(), options_.index_interval_bytes));
  segments_.push_back(std::move(seg));
  return {};
}

result<append_result> partition_log::append(std::span<uint8_t> batches) {
  if (closed_) return make_error(errc::io, "append to a closed log");
  // Validate everything first, so that a bad batch rejects the request without a partial write.
  std::vector<std::pair<size_t, kafka::batch_header>> found;
  size_t pos = 0;
  while (pos < batches.size()) {
    auto h = kafka::validate_batch(bytes_view(batches.data() + pos, batches.size() - pos));
    if (!h) return make_error(errc::invalid_batch, h.error().message);
    found.emplace_back(pos, *h);
    pos += h->total_size();
  }
  if (found.empty()) return make_error(errc::invalid_batch, "no record batch to append");

  append_result out{end(), end()};
  for (auto& [at, h] : found) {
    segment* active = segments_.back().get();
    const bool too_big = active->size() + h.total_size() > options_.segment_bytes;
    const bool too_old = wall_clock_ms() - active->created_ms() > options_.segment_age.count();
    if (!active->empty() && (too_big || too_old)) {
      SLUICE_TRY(roll());
      active = segments_.back().get();
    }
    h.base_offset = active->next_offset();
    h.partition_leader_epoch = 0;
    kafka::set_base_offset(batches.data() + at, h.base_offset);
    kafka::set_partition_leader_epoch(batches.data() + at, 0);
    SLUICE_TRY(active->append(bytes_view(batches.data() + at, h.total_size()), h));
    out.last = h.last_offset();
  }
  SLUICE_TRY(segments_.back()->write_behind(options_.cache_bytes));
  return out;
}

result<std::vector<uint8_t>> partition_log::read(offset from, size_t max_bytes) const {
  if (from < start() || from > end()) {
    return make_error(errc::offset_out_of_range,
                      fmt::format("offset {} is outside the log [{}, {}]", from, start(), end()));
  }
  auto it = std::upper_bound(segments_.begin(), segments_.end(), from,
                             [](offset o, const auto& s) { return o < s->base(); });
  for (auto s = std::prev(it); s != segments_.end(); ++s) {
    auto bytes = SLUICE_TRY((*s)->read(from, max_bytes));
    if (!bytes.empty()) return bytes;
  }
  return std::vector<uint8_t>{};
}

result<offset> partition_log::offset_for_timestamp(int64_t ts) const {
  for (const auto& s : segments_) {
    if (auto o = SLUICE_TRY(s->offset_for_timestamp(ts))) return *o;
  }
  return end();
}

result<void> partition_log::flush() { return segments_.back()->flush(); }

result<void> partition_log::for_each_header(
    const std::function<void(const kafka::batch_header&)>& fn) const {
  for (const auto& s : segments_) SLUICE_TRY(s->for_each_header(fn));
  return {};
}

result<size_t> partition_log::enforce_retention(int64_t now) {
  size_t deleted = 0;
  uint64_t total = size_bytes();
  while (segments_.size() > 1) {
    segment& oldest = *segments_.front();
    const bool over_size =
        options_.retention_bytes >= 0 &&
        total - oldest.size() >= static_cast<uint64_t>(options_.retention_bytes) &&
        total > static_cast<uint64_t>(options_.retention_bytes);
    const bool over_age = options_.retention_age.count() >= 0 && oldest.max_timestamp() >= 0 &&
                          now - oldest.max_timestamp() > options_.retention_age.count();
    if (!over_size && !over_age) break;
    total -= oldest.size();
    oldest.remove();
    segments_.erase(segments_.begin());
    ++deleted;
  }
  if (deleted > 0) SLUICE_TRY(sync_directory(dir_));
  return deleted;
}

result<void> partition_log::close() {
  if (closed_) return {};
  closed_ = true;
  for (auto& s : segments_) SLUICE_TRY(s->close());
  SLUICE_TRY(write_file_atomically(dir_ / clean_marker, ""));
  return {};
}

}  // namespace sluice::storage
