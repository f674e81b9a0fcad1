// Builds uncompressed record batches v2, as a producer would: for tests, benchmarks and tools.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/types.h"

namespace sluice::kafka {

struct record_input {
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;
};

struct batch_options {
  producer_id pid{-1};
  producer_epoch epoch{-1};
  int32_t base_sequence = -1;
};

// One batch holding `records` (at least one), base offset 0, CRC set.
std::vector<uint8_t> build_batch(std::span<const record_input> records, batch_options o = {});

}  // namespace sluice::kafka
