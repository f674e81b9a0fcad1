// kv_store on RocksDB.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "store/kv.h"
#include "store/schema.h"

namespace sluice::store {
namespace {

std::unexpected<error> failed(std::string_view what, const rocksdb::Status& s) {
  return make_error(errc::storage, fmt::format("{}: {}", what, s.ToString()));
}

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

// The store's merge function as a RocksDB merge operator.
class merger final : public rocksdb::MergeOperator {
 public:
  explicit merger(merge_function f) : f_(std::move(f)) {}

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    std::vector<std::string_view> operands;
    operands.reserve(in.operand_list.size());
    for (const auto& o : in.operand_list) operands.emplace_back(o.data(), o.size());
    std::optional<std::string_view> existing;
    if (in.existing_value) existing.emplace(in.existing_value->data(), in.existing_value->size());
    out->new_value = f_(existing, operands);
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger*) const override {
    std::vector<std::string_view> ops;
    ops.reserve(operands.size());
    for (const auto& o : operands) ops.emplace_back(o.data(), o.size());
    *new_value = f_(std::nullopt, ops);
    return true;
  }

  const char* Name() const override { return "sluice.cells"; }

 private:
  merge_function f_;
};

class rocks_cursor final : public kv_cursor {
 public:
  explicit rocks_cursor(rocksdb::Iterator* it) : it_(it) {}
  void seek(std::string_view key) override { it_->Seek(slice(key)); }
  void seek_for_prev(std::string_view key) override { it_->SeekForPrev(slice(key)); }
  void next() override { it_->Next(); }
  void prev() override { it_->Prev(); }
  bool valid() const override { return it_->Valid(); }
  std::string_view key() const override { return it_->key().ToStringView(); }
  std::string_view value() const override { return it_->value().ToStringView(); }
  result<void> status() const override {
    if (auto s = it_->status(); !s.ok()) return failed("reading", s);
    return {};
  }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class rocks_snapshot final : public kv_snapshot {
 public:
  explicit rocks_snapshot(rocksdb::DB* db) : db_(db), snap_(db->GetSnapshot()) {
    options_.snapshot = snap_;
  }
  ~rocks_snapshot() override { db_->ReleaseSnapshot(snap_); }

  result<std::optional<std::string>> get(std::string_view key) override {
    std::string value;
    auto s = db_->Get(options_, slice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>{};
    if (!s.ok()) return failed("get", s);
    return std::optional(std::move(value));
  }
  std::unique_ptr<kv_cursor> cursor() override {
    return std::make_unique<rocks_cursor>(db_->NewIterator(options_));
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
  rocksdb::ReadOptions options_;
};

class rocks final : public kv_store {
 public:
  rocks(std::unique_ptr<rocksdb::DB> db, bool sync) : db_(std::move(db)) { options_.sync = sync; }

  result<void> write(std::span<const kv_change> changes) override {
    // A round of many rows is inserted in key order: consecutive inserts then land near each
    // other in the memtable's skip list, whose search mostly waits on cache misses. Only point
    // changes are reordered (one key's changes keep their order); a range deletion covers what
    // precedes it in the batch, so a round with one keeps its order.
    thread_local std::vector<size_t> order;  // writes come from more than one thread
    order.resize(changes.size());
    for (size_t i = 0; i < changes.size(); ++i) order[i] = i;
    const bool point_only = std::ranges::none_of(
        changes, [](const kv_change& c) { return c.what == kv_change::kind::erase_range; });
    if (point_only && changes.size() > 1) {
      // Stable by position within one key (std::stable_sort's temporary buffer API is
      // deprecated in C++23).
      std::ranges::sort(order, [&](size_t x, size_t y) {
        const int c = changes[x].key.compare(changes[y].key);
        return c < 0 || (c == 0 && x < y);
      });
    }
    rocksdb::WriteBatch batch;
    for (size_t i : order) {
      const kv_change& c = changes[i];
      rocksdb::Status s;
      switch (c.what) {
        case kv_change::kind::put: s = batch.Put(c.key, c.value); break;
        case kv_change::kind::erase: s = batch.Delete(c.key); break;
        case kv_change::kind::merge: s = batch.Merge(c.key, c.value); break;
        case kv_change::kind::erase_range: s = batch.DeleteRange(c.key, c.value); break;
      }
      if (!s.ok()) return failed("batching", s);
    }
    if (auto s = db_->Write(options_, &batch); !s.ok()) return failed("write", s);
    return {};
  }

  result<std::optional<std::string>> get(std::string_view key) override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), slice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>{};
    if (!s.ok()) return failed("get", s);
    return std::optional(std::move(value));
  }

  result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view prefix) override {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (auto s = it->status(); !s.ok()) return failed("scan", s);
    return out;
  }

  std::unique_ptr<kv_cursor> cursor() override {
    return std::make_unique<rocks_cursor>(db_->NewIterator(rocksdb::ReadOptions()));
  }

  std::unique_ptr<kv_snapshot> snapshot() override {
    return std::make_unique<rocks_snapshot>(db_.get());
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions options_;
};

}  // namespace

result<std::unique_ptr<kv_store>> open_rocksdb(const std::filesystem::path& dir, kv_options o) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = o.write_buffer_bytes;
  options.max_background_jobs = 2;
  // One thread commits (the group committer): memtable inserts need no atomic splicing.
  options.allow_concurrent_memtable_write = false;
  // Compaction output synced as it is written, a megabyte at a time, so that the write-ahead
  // log's fsync never waits behind a large backlog of dirty table data (ext4 orders them).
  options.bytes_per_sync = 1 << 20;
  options.keep_log_file_num = 3;
  switch (o.compression) {
    case config::codec::none: options.compression = rocksdb::kNoCompression; break;
    case config::codec::gzip: options.compression = rocksdb::kZlibCompression; break;
    case config::codec::snappy: options.compression = rocksdb::kSnappyCompression; break;
    case config::codec::lz4: options.compression = rocksdb::kLZ4Compression; break;
    case config::codec::zstd: options.compression = rocksdb::kZSTD; break;
  }
  // Size-tiered, as Cassandra's default strategy: each row rewritten fewer times than leveled.
  options.compaction_style = rocksdb::kCompactionStyleUniversal;
  // Eight flushed files before they are merged (four by default): half the rewrites of fresh
  // rows, for point reads that consult a few more files' bloom filters.
  options.level0_file_num_compaction_trigger = 8;
  // At least four runs merged at once, as STCS's min_threshold: fewer rewrites of each row.
  options.compaction_options_universal.min_merge_width = 4;
  if (o.merge) options.merge_operator = std::make_shared<merger>(std::move(o.merge));
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(o.block_cache_bytes);
  table.cache_index_and_filter_blocks = true;
  // Point reads (a row, its partition header) mostly miss most files: a bloom filter skips them.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(options, dir.string(), &raw); !s.ok()) {
    return failed(fmt::format("opening {}", dir.string()), s);
  }
  return std::unique_ptr<kv_store>(new rocks(std::unique_ptr<rocksdb::DB>(raw), o.sync));
}

}  // namespace sluice::store
