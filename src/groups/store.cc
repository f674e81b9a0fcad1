#include "groups/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "base/bytes.h"
#include "base/crc32c.h"
#include "base/file.h"
#include "base/log.h"

namespace sluice::groups {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::storage: return "group store I/O error";
  }
  return "unknown";
}
std::string_view category_name(errc) { return "groups"; }

namespace {

constexpr const char* journal_name = "groups.journal";
constexpr size_t entry_header = 8;
constexpr uint32_t max_entry = 64u << 20;

enum class kind : uint8_t { offset = 1, offset_tombstone = 2, group = 3, group_tombstone = 4 };

// --- encoding -----------------------------------------------------------------------------------
void put_string(byte_writer& w, std::string_view s) {
  w.write_u32(static_cast<uint32_t>(s.size()));
  w.write_bytes(s);
}
void put_optional(byte_writer& w, const std::optional<std::string>& s) {
  w.write_u8(s ? 1 : 0);
  if (s) put_string(w, *s);
}
void put_blob(byte_writer& w, const std::vector<uint8_t>& b) {
  w.write_u32(static_cast<uint32_t>(b.size()));
  w.write_bytes(b);
}

result<std::string> get_string(byte_reader& r) {
  const uint32_t n = SLUICE_TRY(r.read_u32());
  const bytes_view b = SLUICE_TRY(r.read_bytes(n));
  return std::string(as_string_view(b));
}
result<std::optional<std::string>> get_optional(byte_reader& r) {
  if (SLUICE_TRY(r.read_u8()) == 0) return std::optional<std::string>{};
  return std::optional<std::string>(SLUICE_TRY(get_string(r)));
}
result<std::vector<uint8_t>> get_blob(byte_reader& r) {
  const uint32_t n = SLUICE_TRY(r.read_u32());
  const bytes_view b = SLUICE_TRY(r.read_bytes(n));
  return std::vector<uint8_t>(b.begin(), b.end());
}

// Frames one payload as an entry: length, CRC, payload.
void frame(std::vector<uint8_t>& out, const byte_writer& payload) {
  byte_writer h(entry_header);
  h.write_u32(static_cast<uint32_t>(payload.size()));
  h.write_u32(crc32c::value(payload.view()));
  out.insert(out.end(), h.view().begin(), h.view().end());
  out.insert(out.end(), payload.view().begin(), payload.view().end());
}

void encode_offset(std::vector<uint8_t>& out, const std::string& group, const topic_partition& tp,
                   const committed_offset& c) {
  byte_writer w(64);
  w.write_u8(static_cast<uint8_t>(kind::offset));
  put_string(w, group);
  put_string(w, tp.topic);
  w.write_i32(tp.partition);
  w.write_i64(c.offset);
  w.write_i32(c.leader_epoch);
  put_optional(w, c.metadata);
  w.write_i64(c.commit_ms);
  frame(out, w);
}

void encode_offset_tombstone(std::vector<uint8_t>& out, const std::string& group,
                             const topic_partition& tp) {
  byte_writer w(32);
  w.write_u8(static_cast<uint8_t>(kind::offset_tombstone));
  put_string(w, group);
  put_string(w, tp.topic);
  w.write_i32(tp.partition);
  frame(out, w);
}

void encode_group(std::vector<uint8_t>& out, const group_record& g) {
  byte_writer w(256);
  w.write_u8(static_cast<uint8_t>(kind::group));
  put_string(w, g.id);
  w.write_u8(static_cast<uint8_t>(g.state));
  w.write_i32(g.generation);
  put_string(w, g.protocol_type);
  put_string(w, g.protocol);
  put_string(w, g.leader);
  w.write_i64(g.empty_since_ms);
  w.write_u32(static_cast<uint32_t>(g.members.size()));
  for (const auto& m : g.members) {
    put_string(w, m.id);
    put_optional(w, m.instance_id);
    put_string(w, m.client_id);
    put_string(w, m.client_host);
    w.write_i32(m.session_timeout_ms);
    w.write_i32(m.rebalance_timeout_ms);
    put_blob(w, m.metadata);
    put_blob(w, m.assignment);
  }
  frame(out, w);
}

void encode_group_tombstone(std::vector<uint8_t>& out, const std::string& group) {
  byte_writer w(32);
  w.write_u8(static_cast<uint8_t>(kind::group_tombstone));
  put_string(w, group);
  frame(out, w);
}

// --- decoding -----------------------------------------------------------------------------------
result<void> apply(byte_reader& r, store_contents& c) {
  const auto k = static_cast<kind>(SLUICE_TRY(r.read_u8()));
  switch (k) {
    case kind::offset: {
      std::string group = SLUICE_TRY(get_string(r));
      topic_partition tp;
      tp.topic = SLUICE_TRY(get_string(r));
      tp.partition = SLUICE_TRY(r.read_i32());
      committed_offset o;
      o.offset = SLUICE_TRY(r.read_i64());
      o.leader_epoch = SLUICE_TRY(r.read_i32());
      o.metadata = SLUICE_TRY(get_optional(r));
      o.commit_ms = SLUICE_TRY(r.read_i64());
      c.offsets[group][tp] = std::move(o);
      return {};
    }
    case kind::offset_tombstone: {
      std::string group = SLUICE_TRY(get_string(r));
      topic_partition tp;
      tp.topic = SLUICE_TRY(get_string(r));
      tp.partition = SLUICE_TRY(r.read_i32());
      if (auto it = c.offsets.find(group); it != c.offsets.end()) {
        it->second.erase(tp);
        if (it->second.empty()) c.offsets.erase(it);
      }
      return {};
    }
    case kind::group: {
      group_record g;
      g.id = SLUICE_TRY(get_string(r));
      g.state = static_cast<group_state>(SLUICE_TRY(r.read_u8()));
      g.generation = SLUICE_TRY(r.read_i32());
      g.protocol_type = SLUICE_TRY(get_string(r));
      g.protocol = SLUICE_TRY(get_string(r));
      g.leader = SLUICE_TRY(get_string(r));
      g.empty_since_ms = SLUICE_TRY(r.read_i64());
      const uint32_t n = SLUICE_TRY(r.read_u32());
      if (n > r.remaining()) return make_error(errc::storage, "member count beyond the entry");
      for (uint32_t i = 0; i < n; ++i) {
        group_record::member_record m;
        m.id = SLUICE_TRY(get_string(r));
        m.instance_id = SLUICE_TRY(get_optional(r));
        m.client_id = SLUICE_TRY(get_string(r));
        m.client_host = SLUICE_TRY(get_string(r));
        m.session_timeout_ms = SLUICE_TRY(r.read_i32());
        m.rebalance_timeout_ms = SLUICE_TRY(r.read_i32());
        m.metadata = SLUICE_TRY(get_blob(r));
        m.assignment = SLUICE_TRY(get_blob(r));
        g.members.push_back(std::move(m));
      }
      std::string id = g.id;
      c.groups[id] = std::move(g);
      return {};
    }
    case kind::group_tombstone: {
      std::string group = SLUICE_TRY(get_string(r));
      c.groups.erase(group);
      c.offsets.erase(group);
      return {};
    }
  }
  return make_error(errc::storage, fmt::format("unknown entry kind {}", static_cast<int>(k)));
}

// Replays `bytes`; returns how many bytes form whole, valid entries, and how many entries.
std::pair<size_t, uint64_t> replay(bytes_view bytes, store_contents& c) {
  size_t good = 0;
  uint64_t count = 0;
  byte_reader r(bytes);
  while (r.remaining() >= entry_header) {
    const uint32_t len = *r.read_u32();
    const uint32_t crc = *r.read_u32();
    if (len > max_entry || len > r.remaining()) break;
    const bytes_view payload = *r.read_bytes(len);
    if (crc32c::value(payload) != crc) break;
    byte_reader pr(payload);
    if (!apply(pr, c) || !pr.empty()) break;
    good += entry_header + len;
    ++count;
  }
  return {good, count};
}

size_t live_count(const store_contents& c) {
  size_t n = c.groups.size();
  for (const auto& [g, offsets] : c.offsets) n += offsets.size();
  return n;
}

}  // namespace

store::store(std::filesystem::path file, int fd, bool sync, uint64_t size)
    : file_(std::move(file)), fd_(fd), sync_(sync), size_(size) {}

store::store(store&& o) noexcept
    : file_(std::move(o.file_)),
      fd_(std::exchange(o.fd_, -1)),
      sync_(o.sync_),
      size_(o.size_),
      entries_(o.entries_) {}

store& store::operator=(store&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    file_ = std::move(o.file_);
    fd_ = std::exchange(o.fd_, -1);
    sync_ = o.sync_;
    size_ = o.size_;
    entries_ = o.entries_;
  }
  return *this;
}

store::~store() {
  if (fd_ >= 0) ::close(fd_);
}

result<std::pair<store, store_contents>> store::open(const std::filesystem::path& dir, bool sync) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(errc::storage, fmt::format("{}: {}", dir.string(), ec.message()));
  }
  const auto file = dir / journal_name;
  std::vector<uint8_t> bytes;
  {
    std::ifstream in(file, std::ios::binary);
    if (in) bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  store_contents contents;
  const auto [good, count] = replay(bytes, contents);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error(file.string());
  if (good < bytes.size()) {
    log::get("groups")->warn("{}: cut {} byte(s) of torn or corrupt entries after byte {}",
                             file.string(), bytes.size() - good, good);
    if (::ftruncate(fd, static_cast<off_t>(good)) != 0 || ::fdatasync(fd) != 0) {
      auto e = errno_error(file.string());
      ::close(fd);
      return std::unexpected(e.error());
    }
  }
  if (::lseek(fd, static_cast<off_t>(good), SEEK_SET) < 0) {
    auto e = errno_error(file.string());
    ::close(fd);
    return std::unexpected(e.error());
  }
  store s(file, fd, sync, good);
  s.entries_ = count;
  return std::pair<store, store_contents>{std::move(s), std::move(contents)};
}

result<void> store::append(const std::vector<uint8_t>& entries) {
  size_t done = 0;
  while (done < entries.size()) {
    const ssize_t n = ::write(fd_, entries.data() + done, entries.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      // Leave no half entry behind for the next append to follow.
      if (::ftruncate(fd_, static_cast<off_t>(size_)) == 0) {
        ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
      }
      return errno_error(file_.string(), err);
    }
    done += static_cast<size_t>(n);
  }
  size_ += entries.size();
  if (sync_ && ::fdatasync(fd_) != 0) return errno_error(file_.string());
  return {};
}

result<void> store::put_offsets(const std::string& group,
                                std::span<const std::pair<topic_partition, committed_offset>> e) {
  std::vector<uint8_t> out;
  for (const auto& [tp, c] : e) encode_offset(out, group, tp, c);
  entries_ += e.size();
  return append(out);
}

result<void> store::delete_offsets(const std::string& group, std::span<const topic_partition> tps) {
  std::vector<uint8_t> out;
  for (const auto& tp : tps) encode_offset_tombstone(out, group, tp);
  entries_ += tps.size();
  return append(out);
}

result<void> store::put_group(const group_record& r) {
  std::vector<uint8_t> out;
  encode_group(out, r);
  ++entries_;
  return append(out);
}

result<void> store::delete_group(const std::string& group) {
  std::vector<uint8_t> out;
  encode_group_tombstone(out, group);
  ++entries_;
  return append(out);
}

bool store::wants_compaction(size_t live_entries) const {
  return entries_ > 10000 && entries_ > 4 * live_entries;
}

result<void> store::compact(const store_contents& live) {
  std::vector<uint8_t> out;
  for (const auto& [id, g] : live.groups) encode_group(out, g);
  for (const auto& [group, offsets] : live.offsets) {
    for (const auto& [tp, c] : offsets) encode_offset(out, group, tp, c);
  }
  SLUICE_TRY(write_file_atomically(file_, as_string_view(out)));
  const int fd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return errno_error(file_.string());
  ::close(fd_);
  fd_ = fd;
  size_ = out.size();
  entries_ = live_count(live);
  return {};
}

}  // namespace sluice::groups
