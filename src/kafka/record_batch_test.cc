#include "kafka/record_batch.h"

#include <gtest/gtest.h>

#include "base/crc32c.h"
#include "kafka/batch_builder.h"

namespace sluice::kafka {
namespace {

std::vector<uint8_t> sample() {
  std::vector<record_input> recs{{"k", "v1", 1000}, {std::nullopt, "v2", 1005}};
  return build_batch(recs);
}

// Sets attributes and re-signs the batch, so that only the attribute check can object.
std::vector<uint8_t> with_attributes(int16_t attrs) {
  auto b = sample();
  b[21] = static_cast<uint8_t>(attrs >> 8);
  b[22] = static_cast<uint8_t>(attrs & 0xff);
  const uint32_t crc = crc32c::value(bytes_view(b.data() + 21, b.size() - 21));
  for (int i = 0; i < 4; ++i) b[17 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  return b;
}

TEST(record_batch, built_batch_validates) {
  auto b = sample();
  auto h = validate_batch(b);
  ASSERT_TRUE(h.has_value()) << h.error().message;
  EXPECT_EQ(h->records_count, 2);
  EXPECT_EQ(h->last_offset_delta, 1);
  EXPECT_EQ(h->max_timestamp, 1005);
  EXPECT_EQ(h->total_size(), b.size());
  set_base_offset(b.data(), offset(42));
  set_partition_leader_epoch(b.data(), 7);
  auto again = validate_batch(b);  // both fields lie outside the CRC
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->base_offset, offset(42));
  EXPECT_EQ(again->last_offset(), offset(43));
}

TEST(record_batch, refused_batches) {
  auto crc = sample();
  crc.back() ^= 1;
  EXPECT_NE(validate_batch(crc).error().message.find("CRC"), std::string::npos);
  EXPECT_NE(validate_batch(with_attributes(5)).error().message.find("compression code 5"),
            std::string::npos);
  EXPECT_FALSE(validate_batch(with_attributes(0x20)).has_value());  // control
  EXPECT_FALSE(validate_batch(with_attributes(0x10)).has_value());  // transactional
  EXPECT_TRUE(validate_batch(with_attributes(4)).has_value());      // zstd is a valid code
  auto magic = sample();
  magic[16] = 1;
  EXPECT_NE(validate_batch(magic).error().message.find("magic 1"), std::string::npos);
  auto full = sample();
  for (size_t n = 0; n < full.size(); ++n) {
    ASSERT_FALSE(validate_batch(bytes_view(full.data(), n)).has_value()) << n;
  }
}

}  // namespace
}  // namespace sluice::kafka
