#include "process/offsets.h"

#include <algorithm>

namespace sluice::process {

void offset_tracker::dispatched(int32_t partition, int64_t offset) {
  std::lock_guard lock(mu_);
  auto& p = partitions_[partition];
  p.pending.emplace_back(offset, false);
  p.next = offset + 1;
  ++in_flight_;
}

void offset_tracker::done(int32_t partition, int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  auto& q = it->second.pending;
  auto pos = std::lower_bound(q.begin(), q.end(), std::make_pair(offset, false),
                              [](const auto& a, const auto& b) { return a.first < b.first; });
  if (pos == q.end() || pos->first != offset || pos->second) return;
  pos->second = true;
  --in_flight_;
  while (!q.empty() && q.front().second) q.pop_front();
}

std::vector<std::pair<int32_t, int64_t>> offset_tracker::committable() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<int32_t, int64_t>> out;
  for (const auto& [id, p] : partitions_) out.emplace_back(id, commit_point(p));
  return out;
}

std::vector<std::pair<int32_t, int64_t>> offset_tracker::changes() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<int32_t, int64_t>> out;
  for (auto& [id, p] : partitions_) {
    const int64_t at = commit_point(p);
    if (at != p.reported) {
      out.emplace_back(id, at);
      p.reported = at;
    }
  }
  return out;
}

void offset_tracker::resend() {
  std::lock_guard lock(mu_);
  for (auto& [id, p] : partitions_) p.reported = -1;
}

size_t offset_tracker::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

void offset_tracker::forget(int32_t partition) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  for (const auto& [off, finished] : it->second.pending) {
    if (!finished) --in_flight_;
  }
  partitions_.erase(it);
}

}  // namespace sluice::process
