// kv_store on RocksDB.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <fmt/format.h>

#include "store/kv.h"
#include "store/schema.h"

namespace sluice::store {
namespace {

std::unexpected<error> failed(std::string_view what, const rocksdb::Status& s) {
  return make_error(errc::storage, fmt::format("{}: {}", what, s.ToString()));
}

class rocks final : public kv_store {
 public:
  rocks(std::unique_ptr<rocksdb::DB> db, bool sync) : db_(std::move(db)) { options_.sync = sync; }

  result<void> write(std::span<const kv_change> changes) override {
    rocksdb::WriteBatch batch;
    for (const auto& [key, value] : changes) {
      if (value) {
        batch.Put(key, *value);
      } else {
        batch.Delete(key);
      }
    }
    if (auto s = db_->Write(options_, &batch); !s.ok()) return failed("write", s);
    return {};
  }

  result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view prefix) override {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (auto s = it->status(); !s.ok()) return failed("scan", s);
    return out;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions options_;
};

}  // namespace

result<std::unique_ptr<kv_store>> open_rocksdb(const std::filesystem::path& dir, bool sync) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(options, dir.string(), &raw); !s.ok()) {
    return failed(fmt::format("opening {}", dir.string()), s);
  }
  return std::unique_ptr<kv_store>(new rocks(std::unique_ptr<rocksdb::DB>(raw), sync));
}

}  // namespace sluice::store
