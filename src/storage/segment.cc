#include "storage/segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/crc32c.h"
#include "base/file.h"
#include "base/log.h"

namespace sluice::storage {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::io: return "I/O error";
    case errc::corrupt: return "corrupt log";
    case errc::offset_out_of_range: return "offset out of range";
    case errc::invalid_batch: return "invalid record batch";
  }
  return "unknown error";
}
std::string_view category_name(errc) { return "storage"; }

namespace {

constexpr uint32_t index_magic = 0x534c4958;  // "SLIX"
constexpr uint32_t index_version = 1;
constexpr size_t index_entry_bytes = 20;

std::unexpected<error> io_error(std::string what) {
  return make_error(errc::io, fmt::format("{}: {}", what, std::strerror(errno)));
}

result<void> pread_all(int fd, uint8_t* buf, size_t n, uint64_t pos, const std::string& name) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(pos + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error("read " + name);
    }
    if (r == 0) return make_error(errc::corrupt, fmt::format("{}: unexpected end of file", name));
    done += static_cast<size_t>(r);
  }
  return {};
}

result<void> pwrite_all(int fd, const uint8_t* buf, size_t n, uint64_t pos,
                        const std::string& name) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pwrite(fd, buf + done, n - done, static_cast<off_t>(pos + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error("write " + name);
    }
    done += static_cast<size_t>(r);
  }
  return {};
}

}  // namespace

std::filesystem::path segment_path(const std::filesystem::path& dir, offset base,
                                   std::string_view extension) {
  return dir / fmt::format("{:020d}{}", base.value(), extension);
}

segment::segment(std::filesystem::path dir, offset base, uint32_t index_interval_bytes, int fd)
    : dir_(std::move(dir)),
      base_(base),
      next_(base),
      index_interval_bytes_(index_interval_bytes),
      fd_(fd),
      created_ms_(wall_clock_ms()) {}

segment::~segment() {
  if (fd_ >= 0) ::close(fd_);
}

result<std::unique_ptr<segment>> segment::create(const std::filesystem::path& dir, offset base,
                                                 uint32_t index_interval_bytes) {
  const auto path = segment_path(dir, base, ".log");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("create " + path.string());
  if (auto synced = sync_directory(dir); !synced) {
    ::close(fd);
    ::unlink(path.c_str());
    return std::unexpected(std::move(synced).error());
  }
  return std::unique_ptr<segment>(new segment(dir, base, index_interval_bytes, fd));
}

result<std::unique_ptr<segment>> segment::open(const std::filesystem::path& dir, offset base,
                                               uint32_t index_interval_bytes, bool trust_indexes,
                                               uint64_t& truncated_bytes) {
  const auto path = segment_path(dir, base, ".log");
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return io_error("open " + path.string());
  std::unique_ptr<segment> s(new segment(dir, base, index_interval_bytes, fd));
  struct stat st{};
  if (::fstat(fd, &st) != 0) return io_error("stat " + path.string());
  s->size_ = static_cast<uint64_t>(st.st_size);
  if (!(trust_indexes && s->load_indexes())) s->index_.clear();
  SLUICE_TRY(s->scan(truncated_bytes));
  // Age counts from the first record, so that rolling by age survives restarts.
  if (!s->empty()) {
    uint8_t header[kafka::batch_header_size];
    SLUICE_TRY(pread_all(fd, header, sizeof header, 0, path.string()));
    s->created_ms_ = SLUICE_TRY(kafka::read_batch_header(header)).base_timestamp;
  }
  return s;
}

// Validates batches from the last trusted index point (or the start) to the end of the file; the
// first batch that is short, not v2, out of sequence or fails its CRC ends the log there.
result<void> segment::scan(uint64_t& truncated_bytes) {
  const std::string name = segment_path(dir_, base_, ".log").string();
  const uint64_t file_size = size_;
  uint64_t pos = 0;
  next_ = base_;
  max_timestamp_ = -1;
  if (!index_.empty()) {
    const index_entry last = index_.back();
    index_.pop_back();
    pos = last.position;
    next_ = last.first;
    max_timestamp_ = last.max_timestamp;  // covers every batch before the one re-read here
  }
  bytes_since_index_ = index_interval_bytes_;  // index the first batch scanned
  std::vector<uint8_t> buf;
  std::string problem;
  while (pos < file_size) {
    if (file_size - pos < kafka::batch_header_size) {
      problem = fmt::format("{} byte(s) left, less than a batch header", file_size - pos);
      break;
    }
    buf.resize(kafka::batch_header_size);
    SLUICE_TRY(pread_all(fd_, buf.data(), buf.size(), pos, name));
    auto h = kafka::read_batch_header(buf);
    if (!h || h->batch_length < 0 || pos + h->total_size() > file_size) {
      problem = "a batch that runs past the end of the file";
      break;
    }
    buf.resize(h->total_size());
    SLUICE_TRY(pread_all(fd_, buf.data(), buf.size(), pos, name));
    auto valid = kafka::validate_batch(buf);
    if (!valid) {
      problem = valid.error().message;
      break;
    }
    if (valid->base_offset != next_) {
      problem = fmt::format("batch at offset {} where {} was expected", valid->base_offset, next_);
      break;
    }
    record(*valid, pos);
    pos += h->total_size();
  }
  size_ = pos;
  if (pos < file_size) {
    truncated_bytes = file_size - pos;
    log::get("storage")->warn("{}: truncating {} byte(s) at position {}: {}", name, truncated_bytes,
                              pos, problem);
    if (::ftruncate(fd_, static_cast<off_t>(pos)) != 0) return io_error("truncate " + name);
    if (::fdatasync(fd_) != 0) return io_error("sync " + name);
  }
  return {};
}

void segment::record(const kafka::batch_header& h, uint64_t position) {
  if (index_.empty() || bytes_since_index_ >= index_interval_bytes_) {
    index_.push_back({h.base_offset, static_cast<uint32_t>(position),
                      std::max(max_timestamp_, h.max_timestamp)});
    bytes_since_index_ = 0;
  }
  max_timestamp_ = std::max(max_timestamp_, h.max_timestamp);
  bytes_since_index_ += h.total_size();
  next_ = h.last_offset() + 1;
  size_ = position + h.total_size();
}

result<void> segment::append(bytes_view batch, const kafka::batch_header& h) {
  if (h.base_offset != next_) {
    return make_error(
        errc::invalid_batch,
        fmt::format("append of offset {} to a segment ending at {}", h.base_offset, next_));
  }
  if (size_ + batch.size() > UINT32_MAX) {
    return make_error(errc::invalid_batch, "segment would exceed 4 GiB");
  }
  SLUICE_TRY(pwrite_all(fd_, batch.data(), batch.size(), size_,
                        segment_path(dir_, base_, ".log").string()));
  if (empty()) created_ms_ = wall_clock_ms();
  record(h, size_);
  return {};
}

result<void> segment::write_behind(uint64_t cache_bytes) {
  constexpr uint64_t step = 1 << 20;
  if (cache_bytes == 0) return {};
  const uint64_t complete = size_ / step * step;
  if (complete <= writeback_started_) return {};
  // Start writing back what appends have completed since last time; the call returns once the
  // writes are queued.
  if (::sync_file_range(fd_, static_cast<off_t>(writeback_started_),
                        static_cast<off_t>(complete - writeback_started_),
                        SYNC_FILE_RANGE_WRITE) != 0) {
    return io_error("write back " + segment_path(dir_, base_, ".log").string());
  }
  writeback_started_ = complete;
  if (complete <= cache_bytes) return {};
  const uint64_t behind = (complete - cache_bytes) / step * step;
  if (behind <= cache_dropped_) return {};
  // Far enough behind that its writeback has usually finished: wait for any that has not (a disk
  // slower than the producers slows them down here, a bounded amount at a time), then drop it.
  const auto from = static_cast<off_t>(cache_dropped_);
  const auto length = static_cast<off_t>(behind - cache_dropped_);
  if (::sync_file_range(
          fd_, from, length,
          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0) {
    return io_error("write back " + segment_path(dir_, base_, ".log").string());
  }
  if (const int e = ::posix_fadvise(fd_, from, length, POSIX_FADV_DONTNEED); e != 0) {
    errno = e;
    return io_error("drop cached " + segment_path(dir_, base_, ".log").string());
  }
  cache_dropped_ = behind;
  return {};
}

result<std::optional<std::pair<uint32_t, kafka::batch_header>>> segment::locate(
    offset target) const {
  // The last index entry at or before the target, then batch headers from there.
  auto it = std::upper_bound(index_.begin(), index_.end(), target,
                             [](offset t, const index_entry& e) { return t < e.first; });
  uint64_t pos = it == index_.begin() ? 0 : std::prev(it)->position;
  const std::string name = segment_path(dir_, base_, ".log").string();
  uint8_t buf[kafka::batch_header_size];
  while (pos < size_) {
    SLUICE_TRY(pread_all(fd_, buf, sizeof buf, pos, name));
    kafka::batch_header h = SLUICE_TRY(kafka::read_batch_header(buf));
    if (h.last_offset() >= target) {
      return std::optional(std::pair{static_cast<uint32_t>(pos), h});
    }
    pos += h.total_size();
  }
  return std::nullopt;
}

result<std::vector<uint8_t>> segment::read(offset from, size_t max_bytes) const {
  auto found = SLUICE_TRY(locate(from));
  if (!found) return std::vector<uint8_t>{};
  const uint64_t start = found->first;
  uint64_t end = start + found->second.total_size();
  const std::string name = segment_path(dir_, base_, ".log").string();
  // Add whole batches while they fit in max_bytes.
  uint8_t len[kafka::batch_log_overhead];
  while (end + kafka::batch_log_overhead <= size_) {
    SLUICE_TRY(pread_all(fd_, len, sizeof len, end, name));
    byte_reader r(len);
    (void)r.read_i64();
    const int32_t batch_length = SLUICE_TRY(r.read_i32());
    const uint64_t next_end = end + kafka::batch_log_overhead + static_cast<uint64_t>(batch_length);
    if (next_end - start > max_bytes || next_end > size_) break;
    end = next_end;
  }
  std::vector<uint8_t> out(end - start);
  SLUICE_TRY(pread_all(fd_, out.data(), out.size(), start, name));
  return out;
}

result<std::optional<offset>> segment::offset_for_timestamp(int64_t ts) const {
  if (max_timestamp_ < ts) return std::nullopt;
  // Index entries carry the largest timestamp so far; start after the last one below ts.
  auto it = std::find_if(index_.begin(), index_.end(),
                         [ts](const index_entry& e) { return e.max_timestamp >= ts; });
  uint64_t pos = it == index_.begin() ? 0 : std::prev(it)->position;
  const std::string name = segment_path(dir_, base_, ".log").string();
  uint8_t buf[kafka::batch_header_size];
  while (pos < size_) {
    SLUICE_TRY(pread_all(fd_, buf, sizeof buf, pos, name));
    kafka::batch_header h = SLUICE_TRY(kafka::read_batch_header(buf));
    if (h.max_timestamp >= ts) return std::optional(h.base_offset);
    pos += h.total_size();
  }
  return std::nullopt;
}

result<void> segment::for_each_header(
    const std::function<void(const kafka::batch_header&)>& fn) const {
  const std::string name = segment_path(dir_, base_, ".log").string();
  uint8_t buf[kafka::batch_header_size];
  for (uint64_t pos = 0; pos < size_;) {
    SLUICE_TRY(pread_all(fd_, buf, sizeof buf, pos, name));
    kafka::batch_header h = SLUICE_TRY(kafka::read_batch_header(buf));
    fn(h);
    pos += h.total_size();
  }
  return {};
}

result<void> segment::flush() {
  if (::fdatasync(fd_) != 0) return io_error("sync " + segment_path(dir_, base_, ".log").string());
  return {};
}

// Index file: magic u32, version u32, count u32, then per entry first offset i64, position u32,
// max timestamp i64, then CRC-32C u32 of everything before it. Big-endian.
result<void> segment::write_indexes() const {
  byte_writer w(12 + index_.size() * index_entry_bytes + 4);
  w.write_u32(index_magic);
  w.write_u32(index_version);
  w.write_u32(static_cast<uint32_t>(index_.size()));
  for (const index_entry& e : index_) {
    w.write_i64(e.first.value());
    w.write_u32(e.position);
    w.write_i64(e.max_timestamp);
  }
  w.write_u32(crc32c::value(w.view()));
  return write_file_atomically(segment_path(dir_, base_, ".index"), as_string_view(w.view()));
}

bool segment::load_indexes() {
  std::ifstream in(segment_path(dir_, base_, ".index"), std::ios::binary);
  if (!in) return false;
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (bytes.size() < 16) return false;
  const bytes_view body(bytes.data(), bytes.size() - 4);
  byte_reader tail(bytes_view(bytes.data() + body.size(), 4));
  if (*tail.read_u32() != crc32c::value(body)) return false;
  byte_reader r(body);
  if (r.read_u32().value_or(0) != index_magic || r.read_u32().value_or(0) != index_version) {
    return false;
  }
  const uint32_t count = r.read_u32().value_or(0);
  if (r.remaining() != static_cast<size_t>(count) * index_entry_bytes) return false;
  std::vector<index_entry> entries(count);
  for (auto& e : entries) {
    e.first = offset(*r.read_i64());
    e.position = *r.read_u32();
    e.max_timestamp = *r.read_i64();
    if (e.position >= size_) return false;  // an index pointing past the data is stale
  }
  index_ = std::move(entries);
  return true;
}

result<void> segment::seal() {
  SLUICE_TRY(flush());
  return write_indexes();
}

result<void> segment::close() {
  if (fd_ < 0) return {};
  SLUICE_TRY(seal());
  ::close(fd_);
  fd_ = -1;
  return {};
}

void segment::remove() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  std::filesystem::remove(segment_path(dir_, base_, ".log"), ec);
  std::filesystem::remove(segment_path(dir_, base_, ".index"), ec);
}

}  // namespace sluice::storage
