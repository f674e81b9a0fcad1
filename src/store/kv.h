// The store's seam to its key-value engine: atomic write batches and prefix scans. RocksDB sits
// behind open_rocksdb() (rocks.cc), so its headers stay out of everything else.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace sluice::store {

// One change of a batch: a value to put, or nullopt to delete the key.
using kv_change = std::pair<std::string, std::optional<std::string>>;

class kv_store {
 public:
  virtual ~kv_store() = default;
  // Applies every change or none. With `sync`, returns once the write-ahead log is on disk.
  virtual result<void> write(std::span<const kv_change> changes) = 0;
  // Every key starting with `prefix`, in key order, with its value.
  virtual result<std::vector<std::pair<std::string, std::string>>> scan(
      std::string_view prefix) = 0;
};

// A RocksDB database in `dir` (created if missing). `sync`: fsync the WAL on every write, as
// Cassandra's `commitlog_sync: batch`; otherwise the OS writes it back, as `periodic`.
result<std::unique_ptr<kv_store>> open_rocksdb(const std::filesystem::path& dir, bool sync);

}  // namespace sluice::store
