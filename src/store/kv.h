// The store's seam to its key-value engine: atomic write batches, merges, range deletes, point
// reads and ordered iteration. RocksDB sits behind open_rocksdb() (rocks.cc), so its headers
// stay out of everything else.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "config/config.h"

namespace sluice::store {

// One change of a batch.
struct kv_change {
  enum class kind : uint8_t {
    put,          // key = value
    erase,        // key removed
    merge,        // value combined with the key's current value by the merge function
    erase_range,  // every key in [key, value) removed
  };
  kind what = kind::put;
  std::string key;
  std::string value;

  static kv_change put(std::string k, std::string v) {
    return {kind::put, std::move(k), std::move(v)};
  }
  static kv_change erase(std::string k) { return {kind::erase, std::move(k), {}}; }
  static kv_change merge(std::string k, std::string v) {
    return {kind::merge, std::move(k), std::move(v)};
  }
  static kv_change erase_range(std::string from, std::string to) {
    return {kind::erase_range, std::move(from), std::move(to)};
  }
};

// Combines an existing value (nullopt: none) with merge operands, oldest first, into one value.
// Must be associative: RocksDB may combine operands before it sees the base value.
using merge_function = std::function<std::string(std::optional<std::string_view> existing,
                                                 std::span<const std::string_view> operands)>;

// An ordered cursor over a consistent snapshot of the store.
class kv_cursor {
 public:
  virtual ~kv_cursor() = default;
  virtual void seek(std::string_view key) = 0;           // the first key >= key
  virtual void seek_for_prev(std::string_view key) = 0;  // the last key <= key
  virtual void next() = 0;
  virtual void prev() = 0;
  [[nodiscard]] virtual bool valid() const = 0;
  [[nodiscard]] virtual std::string_view key() const = 0;
  [[nodiscard]] virtual std::string_view value() const = 0;
  // An I/O or corruption error met while moving, if any.
  [[nodiscard]] virtual result<void> status() const = 0;
};

// A consistent view of the store at one moment: reads through it ignore later writes.
class kv_snapshot {
 public:
  virtual ~kv_snapshot() = default;
  virtual result<std::optional<std::string>> get(std::string_view key) = 0;
  virtual std::unique_ptr<kv_cursor> cursor() = 0;
};

class kv_store {
 public:
  virtual ~kv_store() = default;
  // Applies every change or none. With `sync`, returns once the write-ahead log is on disk.
  virtual result<void> write(std::span<const kv_change> changes) = 0;
  virtual result<std::optional<std::string>> get(std::string_view key) = 0;
  // Every key starting with `prefix`, in key order, with its value.
  virtual result<std::vector<std::pair<std::string, std::string>>> scan(
      std::string_view prefix) = 0;
  virtual std::unique_ptr<kv_cursor> cursor() = 0;
  virtual std::unique_ptr<kv_snapshot> snapshot() = 0;
};

struct kv_options {
  // fsync the WAL on every write, as Cassandra's `commitlog_sync: batch`; otherwise the OS
  // writes it back, as `periodic`.
  bool sync = true;
  merge_function merge;  // required when merges are written
  size_t block_cache_bytes = 32 << 20;
  size_t write_buffer_bytes = 16 << 20;
  // Codec of the table files. Files keep the codec they were written with: a change applies to
  // files written after it.
  config::codec compression = config::codec::none;
};

// A RocksDB database in `dir` (created if missing).
result<std::unique_ptr<kv_store>> open_rocksdb(const std::filesystem::path& dir,
                                               kv_options options);

}  // namespace sluice::store
