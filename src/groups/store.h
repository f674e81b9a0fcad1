// Where committed offsets and group records survive restarts: one append-only journal file,
// `<dir>/groups.journal`, compacted by rewriting it with only the live entries (the role Kafka's
// compacted `__consumer_offsets` topic plays). The format is in docs/log-format.md:
//
//   entry  := length:u32 crc32c:u32 payload          (big-endian; the CRC covers the payload)
//   payload:= kind:u8 fields...                      (kinds: offset, offset tombstone, group,
//                                                      group tombstone)
//
// Opening replays the journal; a torn or corrupt tail (a crash mid-append) is cut off at the last
// whole entry, with a warning. Appends are one write() each, followed by fdatasync when `sync`.
// Thread-safety: none; the coordinator owns it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "base/error.h"
#include "groups/group.h"

namespace sluice::groups {

enum class errc {
  ok = 0,
  storage,  // the journal could not be read or written
};
std::string_view describe(errc e);
std::string_view category_name(errc);

struct topic_partition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const topic_partition&) const = default;
};

struct committed_offset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
  int64_t commit_ms = 0;  // wall clock
  bool operator==(const committed_offset&) const = default;
};

using offset_map = std::map<topic_partition, committed_offset>;

// Everything the journal holds, as of its last entry.
struct store_contents {
  std::map<std::string, group_record> groups;
  std::map<std::string, offset_map> offsets;
};

class store {
 public:
  static result<std::pair<store, store_contents>> open(const std::filesystem::path& dir, bool sync);
  store(store&& o) noexcept;
  store& operator=(store&& o) noexcept;
  store(const store&) = delete;
  store& operator=(const store&) = delete;
  ~store();

  result<void> put_offsets(const std::string& group,
                           std::span<const std::pair<topic_partition, committed_offset>> entries);
  result<void> delete_offsets(const std::string& group, std::span<const topic_partition> tps);
  result<void> put_group(const group_record& r);
  result<void> delete_group(const std::string& group);  // its record and all its offsets

  // Whether the journal has grown well past what `live_entries` entries need.
  [[nodiscard]] bool wants_compaction(size_t live_entries) const;
  // Rewrites the journal with exactly `live` (atomically: a crash leaves the old or the new one).
  result<void> compact(const store_contents& live);
  [[nodiscard]] uint64_t size_bytes() const { return size_; }

 private:
  store(std::filesystem::path file, int fd, bool sync, uint64_t size);
  result<void> append(const std::vector<uint8_t>& entries);

  std::filesystem::path file_;
  int fd_ = -1;
  bool sync_ = true;
  uint64_t size_ = 0;
  uint64_t entries_ = 0;  // appended since open or the last compaction, plus the live ones then
};

}  // namespace sluice::groups
