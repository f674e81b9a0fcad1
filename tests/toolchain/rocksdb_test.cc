// RocksDB: open, write with a synced WAL, read back, reopen.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>

namespace {

TEST(toolchain, rocksdb_put_get_reopen) {
  auto dir =
      std::filesystem::temp_directory_path() / ("sluice-rocksdb-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  for (int round = 0; round < 2; ++round) {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.string(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    if (round == 0) {
      rocksdb::WriteOptions w;
      w.sync = true;
      ASSERT_TRUE(db->Put(w, "k", "v").ok());
    }
    std::string v;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "k", &v).ok());
    EXPECT_EQ(v, "v");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
