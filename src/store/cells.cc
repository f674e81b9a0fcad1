#include "store/cells.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "store/schema.h"

namespace sluice::store {
namespace {

constexpr uint8_t format_version = 1;
enum : uint8_t { has_deletion = 1, has_marker = 2, has_ranges = 4, has_keys = 8 };
enum : uint8_t { cell_tombstone = 1, cell_expiring = 2 };

template <typename T>
void put(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(v);
  for (int i = sizeof(T) - 1; i >= 0; --i) out.push_back(static_cast<char>(u >> (8 * i)));
}

void put_bytes(std::string& out, std::string_view b) {
  put<uint32_t>(out, static_cast<uint32_t>(b.size()));
  out.append(b);
}

void put_liveness(std::string& out, const liveness& l) {
  put<int64_t>(out, l.timestamp);
  put<int32_t>(out, l.ttl);
  put<int32_t>(out, l.expires);
}

class reader {
 public:
  explicit reader(std::string_view b) : b_(b) {}
  template <typename T>
  bool get(T& v) {
    if (b_.size() - pos_ < sizeof(T)) return false;
    std::make_unsigned_t<T> u = 0;
    for (size_t i = 0; i < sizeof(T); ++i) u = (u << 8) | static_cast<uint8_t>(b_[pos_ + i]);
    pos_ += sizeof(T);
    v = static_cast<T>(u);
    return true;
  }
  bool get_bytes(std::string_view& v) {
    uint32_t n = 0;
    if (!get(n) || b_.size() - pos_ < n) return false;
    v = b_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool get_liveness(liveness& l) { return get(l.timestamp) && get(l.ttl) && get(l.expires); }
  [[nodiscard]] bool done() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

std::unexpected<error> corrupt(std::string_view what) {
  return make_error(errc::storage, std::string("corrupt row record: ") + std::string(what));
}

// Which of two row markers wins, as Cassandra's LivenessInfo.supersedes: the later timestamp; at
// a tie an expiring one over a non-expiring one, then the later expiry.
bool later(const liveness& a, const liveness& b) {
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  if ((a.expires != 0) != (b.expires != 0)) return a.expires != 0;
  if (a.expires != b.expires) return a.expires > b.expires;
  return a.ttl > b.ttl;
}

// Which of two versions of a cell wins, as Cassandra's Cells.resolveRegular: the later
// timestamp; at a tie a tombstone or expiring cell over a live one, a tombstone over an expiring
// one, the later expiry, and last the greater value.
bool wins(const cell_record& a, const cell_record& b) {
  if (a.written.timestamp != b.written.timestamp) return a.written.timestamp > b.written.timestamp;
  const bool a_dies = a.tombstone || a.written.expires != 0;
  const bool b_dies = b.tombstone || b.written.expires != 0;
  if (a_dies != b_dies) return a_dies;
  if (a_dies) {
    if (a.tombstone != b.tombstone) return a.tombstone;
    if (a.written.expires != b.written.expires) return a.written.expires > b.written.expires;
  }
  if (a.value != b.value) return a.value > b.value;
  return a.written.ttl > b.written.ttl;
}

bool same_bound(const bound& a, const bound& b) {
  return a.prefix == b.prefix && a.inclusive == b.inclusive;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

bool within(std::string_view clustering, const bound& start, const bound& end) {
  if (!start.prefix.empty()) {
    if (start.inclusive) {
      if (clustering < start.prefix) return false;
    } else if (clustering < start.prefix || starts_with(clustering, start.prefix)) {
      return false;
    }
  }
  if (end.prefix.empty()) return end.inclusive;
  if (end.inclusive) return clustering < end.prefix || starts_with(clustering, end.prefix);
  return clustering < end.prefix;
}

const cell_record* record::find(uint16_t column) const {
  auto it = std::lower_bound(cells.begin(), cells.end(), column,
                             [](const cell_record& c, uint16_t col) { return c.column < col; });
  return it != cells.end() && it->column == column ? &*it : nullptr;
}

bool record::alive(int32_t now_s) const {
  if (marker.alive(now_s)) return true;
  return std::any_of(cells.begin(), cells.end(),
                     [&](const cell_record& c) { return !c.tombstone && c.written.alive(now_s); });
}

std::string encode(const record& r) {
  std::string out;
  size_t size = 16;
  for (const auto& c : r.cells) size += 24 + c.value.size();
  out.reserve(size);
  out.push_back(static_cast<char>(format_version));
  uint8_t flags = 0;
  if (r.deleted_at != no_timestamp) flags |= has_deletion;
  if (r.marker.present()) flags |= has_marker;
  if (!r.ranges.empty()) flags |= has_ranges;
  if (!r.keys.empty()) flags |= has_keys;
  out.push_back(static_cast<char>(flags));
  if (flags & has_keys) put_bytes(out, r.keys);
  if (flags & has_deletion) put<int64_t>(out, r.deleted_at);
  if (flags & has_marker) put_liveness(out, r.marker);
  if (flags & has_ranges) {
    put<uint32_t>(out, static_cast<uint32_t>(r.ranges.size()));
    for (const auto& d : r.ranges) {
      put<int64_t>(out, d.timestamp);
      out.push_back(d.start.inclusive ? 1 : 0);
      put_bytes(out, d.start.prefix);
      out.push_back(d.end.inclusive ? 1 : 0);
      put_bytes(out, d.end.prefix);
    }
  }
  put<uint32_t>(out, static_cast<uint32_t>(r.cells.size()));
  for (const auto& c : r.cells) {
    put<uint16_t>(out, c.column);
    const bool expiring = c.written.expires != 0;
    out.push_back(
        static_cast<char>((c.tombstone ? cell_tombstone : 0) | (expiring ? cell_expiring : 0)));
    put<int64_t>(out, c.written.timestamp);
    if (expiring) {
      put<int32_t>(out, c.written.ttl);
      put<int32_t>(out, c.written.expires);
    }
    if (!c.tombstone) put_bytes(out, c.value);
  }
  return out;
}

result<record> decode_record(std::string_view bytes) {
  reader in(bytes);
  uint8_t version = 0, flags = 0;
  if (!in.get(version) || !in.get(flags)) return corrupt("truncated header");
  if (version != format_version) return corrupt("unknown format version");
  record r;
  if ((flags & has_keys) && !in.get_bytes(r.keys)) return corrupt("truncated keys");
  if ((flags & has_deletion) && !in.get(r.deleted_at)) return corrupt("truncated deletion");
  if ((flags & has_marker) && !in.get_liveness(r.marker)) return corrupt("truncated marker");
  if (flags & has_ranges) {
    uint32_t n = 0;
    if (!in.get(n) || n > bytes.size()) return corrupt("bad range count");
    r.ranges.resize(n);
    for (auto& d : r.ranges) {
      uint8_t si = 0, ei = 0;
      if (!in.get(d.timestamp) || !in.get(si) || !in.get_bytes(d.start.prefix) || !in.get(ei) ||
          !in.get_bytes(d.end.prefix)) {
        return corrupt("truncated range deletion");
      }
      d.start.inclusive = si != 0;
      d.end.inclusive = ei != 0;
    }
  }
  uint32_t n = 0;
  if (!in.get(n) || n > bytes.size()) return corrupt("bad cell count");
  r.cells.resize(n);
  for (auto& c : r.cells) {
    uint8_t cf = 0;
    if (!in.get(c.column) || !in.get(cf) || !in.get(c.written.timestamp)) {
      return corrupt("truncated cell");
    }
    if ((cf & cell_expiring) && !(in.get(c.written.ttl) && in.get(c.written.expires))) {
      return corrupt("truncated cell expiry");
    }
    c.tombstone = (cf & cell_tombstone) != 0;
    if (!c.tombstone && !in.get_bytes(c.value)) return corrupt("truncated cell value");
    if (&c != &r.cells.front() && (&c - 1)->column >= c.column) {
      return corrupt("cells out of column order");
    }
  }
  if (!in.done()) return corrupt("bytes after the cells");
  return r;
}

record merge(const record& a, const record& b) {
  record out;
  out.keys = std::max(a.keys, b.keys);  // the same key's values; max keeps merging commutative
  out.deleted_at = std::max(a.deleted_at, b.deleted_at);
  const liveness& m = later(a.marker, b.marker) ? a.marker : b.marker;
  if (m.present() && m.timestamp > out.deleted_at) out.marker = m;

  for (const auto* side : {&a, &b}) {
    for (const auto& d : side->ranges) {
      if (d.timestamp <= out.deleted_at) continue;
      auto same = std::find_if(out.ranges.begin(), out.ranges.end(), [&](const range_deletion& o) {
        return same_bound(o.start, d.start) && same_bound(o.end, d.end);
      });
      if (same == out.ranges.end()) {
        out.ranges.push_back(d);
      } else {
        same->timestamp = std::max(same->timestamp, d.timestamp);
      }
    }
  }

  // A canonical order, so that the merged bytes do not depend on the order of the operands.
  std::ranges::sort(out.ranges, [](const range_deletion& x, const range_deletion& y) {
    return std::tie(x.start.prefix, x.start.inclusive, x.end.prefix, x.end.inclusive) <
           std::tie(y.start.prefix, y.start.inclusive, y.end.prefix, y.end.inclusive);
  });

  out.cells.reserve(std::max(a.cells.size(), b.cells.size()));
  auto keep = [&](const cell_record& c) {
    if (c.written.timestamp > out.deleted_at) out.cells.push_back(c);
  };
  size_t i = 0, j = 0;
  while (i < a.cells.size() || j < b.cells.size()) {
    if (j == b.cells.size() || (i < a.cells.size() && a.cells[i].column < b.cells[j].column)) {
      keep(a.cells[i++]);
    } else if (i == a.cells.size() || b.cells[j].column < a.cells[i].column) {
      keep(b.cells[j++]);
    } else {
      keep(wins(a.cells[i], b.cells[j]) ? a.cells[i] : b.cells[j]);
      ++i;
      ++j;
    }
  }
  return out;
}

std::string merge_encoded(std::optional<std::string_view> existing,
                          std::span<const std::string_view> operands) {
  record acc;
  if (existing) {
    if (auto r = decode_record(*existing)) acc = std::move(*r);
  }
  // Values point into `existing` and the operands, all alive until the result is encoded.
  for (std::string_view op : operands) {
    if (auto r = decode_record(op)) acc = merge(acc, *r);
  }
  return encode(acc);
}

}  // namespace sluice::store
