#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sluice {
namespace {

using crc_fn = uint32_t (*)(uint32_t, bytes_view);

std::vector<crc_fn> implementations() {
  std::vector<crc_fn> fns{crc32c::extend_portable};
  if (crc32c::has_hardware()) fns.push_back(crc32c::extend_hardware);
  return fns;
}

// The check value and the test vectors of RFC 3720 (iSCSI), appendix B.4.
TEST(crc32c, standard_vectors) {
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xff), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  const std::vector<uint8_t> iscsi_read = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  for (crc_fn fn : implementations()) {
    EXPECT_EQ(fn(0, as_bytes_view("123456789")), 0xe3069283u);
    EXPECT_EQ(fn(0, zeros), 0x8a9136aau);
    EXPECT_EQ(fn(0, ones), 0x62a8ab43u);
    EXPECT_EQ(fn(0, up), 0x46dd794eu);
    EXPECT_EQ(fn(0, down), 0x113fdb5cu);
    EXPECT_EQ(fn(0, iscsi_read), 0xd9963a56u);
    EXPECT_EQ(fn(0, bytes_view()), 0u);
  }
  EXPECT_EQ(crc32c::value("123456789"), 0xe3069283u);
}

TEST(crc32c, extend_composes) {
  const std::string s = "hello, sluice: a record batch payload of some length";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t a = crc32c::extend(0, as_bytes_view(std::string_view(s).substr(0, cut)));
    EXPECT_EQ(crc32c::extend(a, as_bytes_view(std::string_view(s).substr(cut))), crc32c::value(s));
  }
}

TEST(crc32c, hardware_matches_portable_on_every_length_and_alignment) {
  if (!crc32c::has_hardware()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(4096 + 16);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t align = 0; align < 8; ++align) {
    for (size_t len = 0; len < 300; ++len) {
      bytes_view v(buf.data() + align, len);
      ASSERT_EQ(crc32c::extend_hardware(0x1234, v), crc32c::extend_portable(0x1234, v))
          << "align " << align << " len " << len;
    }
  }
  bytes_view big(buf.data() + 3, 4096);
  EXPECT_EQ(crc32c::extend_hardware(0, big), crc32c::extend_portable(0, big));
}

// Long inputs run three interleaved chains in blocks of 1 KiB and 4 KiB: every length around
// each block boundary, from several starting registers.
TEST(crc32c, hardware_matches_portable_across_interleaved_blocks) {
  if (!crc32c::has_hardware()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937 rng(11);
  std::vector<uint8_t> buf(3 * 3 * 4096 + 64);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  std::vector<size_t> lengths;
  for (size_t edge : {3 * 1024, 6 * 1024, 3 * 4096, 3 * 4096 + 3 * 1024, 6 * 4096, 9 * 4096}) {
    for (size_t len = edge - 9; len <= edge + 9; ++len) lengths.push_back(len);
  }
  for (size_t len : lengths) {
    for (uint32_t start : {0u, 0xffffffffu, 0x9a3b1c07u}) {
      bytes_view v(buf.data() + 5, len);
      ASSERT_EQ(crc32c::extend_hardware(start, v), crc32c::extend_portable(start, v))
          << "len " << len << " start " << start;
    }
  }
}

}  // namespace
}  // namespace sluice
