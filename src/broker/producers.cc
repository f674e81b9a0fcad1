#include "broker/producers.h"

#include <fstream>

#include <fmt/format.h>

#include "base/file.h"
#include "broker/topics.h"

namespace sluice::broker {
namespace {

constexpr int64_t block_size = 1000;
constexpr size_t max_in_flight = 5;

int32_t last_sequence(const kafka::batch_header& h) {
  // Sequences wrap at INT32_MAX back to 0.
  const int64_t last = int64_t{h.base_sequence} + h.last_offset_delta;
  return static_cast<int32_t>(last > INT32_MAX ? last - INT32_MAX - 1 : last);
}

int32_t next_sequence(int32_t seq) { return seq == INT32_MAX ? 0 : seq + 1; }

}  // namespace

result<producer_id_allocator> producer_id_allocator::open(std::filesystem::path dir) {
  producer_id_allocator a(dir / "producer_ids");
  std::ifstream in(a.file_);
  int64_t persisted = 0;
  if (in && !(in >> persisted)) {
    return make_error(errc::storage, fmt::format("{}: unreadable", a.file_.string()));
  }
  a.next_ = persisted;
  a.block_end_ = persisted;
  return a;
}

result<producer_id> producer_id_allocator::next() {
  if (next_ >= block_end_) {
    const int64_t end = next_ + block_size;
    auto saved = write_file_atomically(file_, std::to_string(end) + "\n");
    if (!saved) return make_error(errc::storage, saved.error().message);
    block_end_ = end;
  }
  return producer_id(next_++);
}

sequence_verdict producer_state::check(const kafka::batch_header& h) const {
  using kafka::error_code;
  auto it = producers_.find(h.pid);
  if (it == producers_.end()) {
    // A producer new to this partition starts at sequence 0.
    if (h.base_sequence != 0) return {error_code::unknown_producer_id};
    return {};
  }
  const entry& e = it->second;
  if (h.epoch < e.epoch) return {error_code::invalid_producer_epoch};
  if (h.epoch > e.epoch) {
    if (h.base_sequence != 0) return {error_code::out_of_order_sequence_number};
    return {};
  }
  for (const batch_meta& b : e.recent) {
    if (b.first_seq == h.base_sequence && b.last_seq == last_sequence(h)) {
      return {error_code::none, b.first_offset};
    }
  }
  if (!e.recent.empty() && h.base_sequence != next_sequence(e.recent.back().last_seq)) {
    return {error_code::out_of_order_sequence_number};
  }
  return {};
}

void producer_state::record(const kafka::batch_header& h) {
  if (h.pid.value() < 0) return;
  entry& e = producers_[h.pid];
  if (h.epoch != e.epoch) {
    e.epoch = h.epoch;
    e.recent.clear();
  }
  e.recent.push_back({h.base_sequence, last_sequence(h), h.base_offset});
  if (e.recent.size() > max_in_flight) e.recent.pop_front();
}

}  // namespace sluice::broker
