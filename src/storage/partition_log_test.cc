#include "storage/partition_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fstream>

#include "kafka/batch_builder.h"

namespace sluice::storage {
namespace {

std::vector<uint8_t> batch(int n, int64_t ts, const std::string& prefix = "v") {
  std::vector<kafka::record_input> records;
  for (int i = 0; i < n; ++i) records.push_back({std::nullopt, prefix + std::to_string(i), ts + i});
  return kafka::build_batch(records);
}

class log_test : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-log-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<partition_log> open(log_options o = {}) {
    auto l = partition_log::open(dir_, o);
    EXPECT_TRUE(l.has_value()) << l.error().message;
    return l ? std::move(*l) : nullptr;
  }
  std::filesystem::path dir_;
};

TEST_F(log_test, append_assigns_offsets_and_reads_back_the_same_bytes) {
  auto log = open();
  auto b1 = batch(3, 1000);
  auto r1 = log->append(b1);
  ASSERT_TRUE(r1.has_value()) << r1.error().message;
  EXPECT_EQ(r1->base, offset(0));
  EXPECT_EQ(r1->last, offset(2));
  // Two batches in one append.
  auto b2 = batch(2, 2000), b3 = batch(4, 3000);
  std::vector<uint8_t> both(b2);
  both.insert(both.end(), b3.begin(), b3.end());
  auto r2 = log->append(both);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->base, offset(3));
  EXPECT_EQ(r2->last, offset(8));
  EXPECT_EQ(log->end(), offset(9));

  auto all = log->read(offset(0), 1 << 20);
  ASSERT_TRUE(all.has_value());
  std::vector<uint8_t> expected(b1);
  expected.insert(expected.end(), both.begin(), both.end());  // offsets were rewritten in place
  EXPECT_EQ(*all, expected);
  // A read from the middle of a batch starts with that batch.
  auto mid = log->read(offset(4), 1 << 20);
  ASSERT_TRUE(mid.has_value());
  EXPECT_EQ(kafka::read_batch_header(*mid)->base_offset, offset(3));
  // max_bytes below one batch still returns one whole batch.
  auto one = log->read(offset(0), 1);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->size(), b1.size());
  EXPECT_TRUE(log->read(offset(9), 100)->empty());
  EXPECT_TRUE(is(log->read(offset(10), 100).error(), errc::offset_out_of_range));
}

// Pages of [from, to) of `path` in the page cache.
size_t resident_pages(const std::filesystem::path& path, size_t from, size_t to) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return SIZE_MAX;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* map = ::mmap(nullptr, to, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return SIZE_MAX;
  std::vector<unsigned char> in_core((to + page - 1) / page);
  const int r = ::mincore(map, to, in_core.data());
  ::munmap(map, to);
  if (r != 0) return SIZE_MAX;
  size_t n = 0;
  for (size_t p = from / page; p < in_core.size(); ++p) n += in_core[p] & 1;
  return n;
}

TEST_F(log_test, bytes_beyond_the_cache_window_are_written_back_and_dropped_from_the_page_cache) {
  std::filesystem::create_directories(dir_);
  struct statfs fs{};
  ASSERT_EQ(::statfs(dir_.c_str(), &fs), 0);
  if (fs.f_type == TMPFS_MAGIC) GTEST_SKIP() << "the log is on tmpfs, which has no disk behind";
  constexpr size_t mib = 1 << 20;
  const auto segment_file = dir_ / "00000000000000000000.log";
  const std::string value(mib - 100, 'x');
  std::vector<uint8_t> first;
  {
    log_options o;
    o.cache_bytes = 8 * mib;
    auto log = open(o);
    for (int i = 0; i < 40; ++i) {
      const std::vector<kafka::record_input> r{{std::nullopt, std::to_string(i) + value, i}};
      auto b = kafka::build_batch(r);
      if (i == 0) first = b;
      ASSERT_TRUE(log->append(b).has_value());
    }
    const size_t size = std::filesystem::file_size(segment_file);
    ASSERT_GT(size, 39 * mib);
    EXPECT_EQ(resident_pages(segment_file, 0, 28 * mib), 0u)
        << "more than 8 MiB behind the end: written back and dropped";
    // The newest bytes stay cached for consumers reading just behind the producers.
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    EXPECT_GT(resident_pages(segment_file, size - 6 * mib, size), 6 * mib / page * 9 / 10);
    // Dropped bytes read back from the disk unchanged.
    auto again = log->read(offset(0), 1);
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_EQ(*again, first);
    ASSERT_TRUE(log->close().has_value());
  }
  std::filesystem::remove_all(dir_);
  {
    log_options o;
    o.cache_bytes = 0;  // left to the operating system
    auto log = open(o);
    for (int i = 0; i < 20; ++i) {
      const std::vector<kafka::record_input> r{{std::nullopt, value, i}};
      auto b = kafka::build_batch(r);
      ASSERT_TRUE(log->append(b).has_value());
    }
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    EXPECT_GT(resident_pages(segment_file, 0, 16 * mib), 16 * mib / page * 9 / 10);
  }
}

TEST_F(log_test, bad_batches_are_rejected_whole) {
  auto log = open();
  auto good = batch(2, 1);
  auto bad = batch(2, 1);
  bad.back() ^= 0xff;  // breaks the CRC
  std::vector<uint8_t> both(good);
  both.insert(both.end(), bad.begin(), bad.end());
  auto r = log->append(both);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(is(r.error(), errc::invalid_batch));
  EXPECT_NE(r.error().message.find("CRC"), std::string::npos) << r.error().message;
  EXPECT_EQ(log->end(), offset(0)) << "nothing of the request was written";
  std::vector<uint8_t> truncated(good.begin(), good.end() - 3);
  EXPECT_FALSE(log->append(truncated).has_value());
  std::vector<uint8_t> empty;
  EXPECT_FALSE(log->append(empty).has_value());
}

TEST_F(log_test, rolls_segments_and_reads_across_them) {
  log_options o;
  o.segment_bytes = 300;
  o.index_interval_bytes = 100;
  auto log = open(o);
  for (int i = 0; i < 50; ++i) {
    auto b = batch(2, 1000 + i * 10);
    ASSERT_TRUE(log->append(b).has_value());
  }
  EXPECT_GT(log->segment_count(), 5u);
  EXPECT_EQ(log->end(), offset(100));
  offset next(0);
  while (next < log->end()) {
    auto bytes = log->read(next, 250);
    ASSERT_TRUE(bytes.has_value() && !bytes->empty());
    auto h = kafka::read_batch_header(*bytes);
    ASSERT_TRUE(h.has_value());
    ASSERT_EQ(h->base_offset, next);
    size_t pos = 0;
    while (pos < bytes->size()) {
      auto hh = kafka::validate_batch(bytes_view(bytes->data() + pos, bytes->size() - pos));
      ASSERT_TRUE(hh.has_value()) << hh.error().message;
      ASSERT_EQ(hh->base_offset, next);
      next = hh->last_offset() + 1;
      pos += hh->total_size();
    }
  }
  EXPECT_EQ(*log->offset_for_timestamp(1000 + 25 * 10), offset(50));
  EXPECT_EQ(*log->offset_for_timestamp(0), offset(0));
  EXPECT_EQ(*log->offset_for_timestamp(1'000'000), log->end());
}

TEST_F(log_test, clean_and_unclean_restart) {
  log_options o;
  o.segment_bytes = 400;
  {
    auto log = open(o);
    for (int i = 0; i < 20; ++i) {
      auto b = batch(3, 5000 + i);
      ASSERT_TRUE(log->append(b).has_value());
    }
    ASSERT_TRUE(log->close().has_value());
  }
  {
    auto log = open(o);
    EXPECT_EQ(log->end(), offset(60));
    EXPECT_EQ(log->recovered_bytes(), 0u);
    auto b = batch(1, 9000);
    ASSERT_TRUE(log->append(b).has_value());
    ASSERT_TRUE(log->flush().has_value());
    log.reset();  // a crash: no close(), so no clean marker
  }
  // Garbage after the last good batch, as a torn write leaves.
  std::filesystem::path active;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    if (e.path().extension() == ".log" && (active.empty() || e.path() > active)) active = e.path();
  }
  {
    std::ofstream out(active, std::ios::app | std::ios::binary);
    out << std::string(37, '\x42');
  }
  auto log = open(o);
  EXPECT_EQ(log->end(), offset(61));
  EXPECT_EQ(log->recovered_bytes(), 37u);
  auto b = batch(2, 9100);
  auto r = log->append(b);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->base, offset(61));
}

TEST_F(log_test, corrupt_tail_batch_is_truncated) {
  std::vector<size_t> sizes;
  {
    auto log = open();
    for (int i = 0; i < 5; ++i) {
      auto b = batch(2, 100 + i);
      sizes.push_back(b.size());
      ASSERT_TRUE(log->append(b).has_value());
    }
    log.reset();  // a crash
  }
  // Flip a byte inside the last batch's records: its CRC no longer matches.
  const auto file = segment_path(dir_, offset(0), ".log");
  const auto size = std::filesystem::file_size(file);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size - 5));
    f.put('\x7f');
  }
  auto log = open();
  EXPECT_EQ(log->end(), offset(8));
  EXPECT_EQ(log->recovered_bytes(), sizes.back());
  EXPECT_EQ(std::filesystem::file_size(file), size - sizes.back());
}

TEST_F(log_test, retention_by_size_deletes_whole_old_segments) {
  log_options o;
  o.segment_bytes = 300;
  o.retention_bytes = 600;
  auto log = open(o);
  for (int i = 0; i < 40; ++i) {
    auto b = batch(2, 100 + i);
    ASSERT_TRUE(log->append(b).has_value());
  }
  auto deleted = log->enforce_retention(1000);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_GT(*deleted, 0u);
  EXPECT_LE(log->size_bytes(), 600u + 300u);
  EXPECT_GT(log->start(), offset(0));
  EXPECT_TRUE(is(log->read(offset(0), 100).error(), errc::offset_out_of_range));
  EXPECT_TRUE(log->read(log->start(), 100).has_value());
}

TEST_F(log_test, retention_by_age) {
  log_options o;
  o.segment_bytes = 200;
  o.retention_age = std::chrono::milliseconds(1000);
  auto log = open(o);
  for (int i = 0; i < 10; ++i) {
    auto b = batch(1, 1000 + i * 1000);
    ASSERT_TRUE(log->append(b).has_value());
  }
  // At time 6500, segments whose newest record is older than 5500 go.
  auto deleted = log->enforce_retention(6500);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_GT(*deleted, 0u);
  auto first = log->read(log->start(), 100);
  ASSERT_TRUE(first.has_value());
  EXPECT_GE(kafka::read_batch_header(*first)->max_timestamp, 5500 - 1000);
}

}  // namespace
}  // namespace sluice::storage
