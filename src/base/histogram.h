// A latency histogram that many threads record into without locks: log-linear buckets (16 per
// power of two, so a percentile is within about 6% of the true value) over 0 .. 2^40 units.
// Thread-safety: record() and the readers may run concurrently (relaxed atomics; a reader sees
// each recorded value or not, never a torn count).
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace sluice {

class histogram {
 public:
  void record(uint64_t v) {
    buckets_[bucket_of(v)].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  [[nodiscard]] uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // The value below which a share q (0..1) of the recorded values lie (a bucket's upper bound);
  // 0 with nothing recorded.
  [[nodiscard]] uint64_t percentile(double q) const {
    uint64_t total = 0;
    for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
    if (total == 0) return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(total));
    if (rank >= total) rank = total - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen > rank) return upper_bound(i);
    }
    return upper_bound(buckets_.size() - 1);
  }
  void reset() {
    for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
    count_.store(0, std::memory_order_relaxed);
  }

 private:
  static constexpr int sub_bits = 4;  // 16 buckets per power of two
  static constexpr int max_bits = 40;
  static constexpr size_t bucket_count = (max_bits - sub_bits + 1) << sub_bits;

  static size_t bucket_of(uint64_t v) {
    if (v < (uint64_t{1} << sub_bits)) return static_cast<size_t>(v);
    int e = std::bit_width(v) - 1;  // v in [2^e, 2^(e+1))
    if (e >= max_bits) return bucket_count - 1;
    const uint64_t sub = (v >> (e - sub_bits)) & ((1u << sub_bits) - 1);
    return (static_cast<size_t>(e - sub_bits + 1) << sub_bits) + sub;
  }
  static uint64_t upper_bound(size_t i) {
    if (i < (size_t{1} << sub_bits)) return i;
    const int e = static_cast<int>(i >> sub_bits) + sub_bits - 1;
    const uint64_t sub = i & ((1u << sub_bits) - 1);
    return (uint64_t{1} << e) + ((sub + 1) << (e - sub_bits)) - 1;
  }

  std::array<std::atomic<uint64_t>, bucket_count> buckets_{};
  std::atomic<uint64_t> count_{0};
};

}  // namespace sluice
