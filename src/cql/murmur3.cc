#include "cql/murmur3.h"

#include <cstring>
#include <limits>

namespace sluice::cql {
namespace {

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

uint64_t block(const uint8_t* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, 8);  // little-endian, as Cassandra reads blocks
  return v;
}

// Cassandra widens tail bytes as signed Java bytes: 0x80 and above become negative longs.
uint64_t tail_byte(uint8_t b, int shift) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(b))) << shift;
}

}  // namespace

int64_t murmur3_token(bytes_view key) {
  constexpr uint64_t c1 = 0x87c37b91114253d5ULL;
  constexpr uint64_t c2 = 0x4cf5ad432745937fULL;
  const size_t n = key.size();
  const size_t blocks = n / 16;
  const uint8_t* data = key.data();
  uint64_t h1 = 0, h2 = 0;
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t k1 = block(data + i * 16);
    uint64_t k2 = block(data + i * 16 + 8);
    k1 *= c1;
    k1 = rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
    h1 = rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= c2;
    k2 = rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
    h2 = rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const uint8_t* tail = data + blocks * 16;
  uint64_t k1 = 0, k2 = 0;
  switch (n & 15) {
    case 15: k2 ^= tail_byte(tail[14], 48); [[fallthrough]];
    case 14: k2 ^= tail_byte(tail[13], 40); [[fallthrough]];
    case 13: k2 ^= tail_byte(tail[12], 32); [[fallthrough]];
    case 12: k2 ^= tail_byte(tail[11], 24); [[fallthrough]];
    case 11: k2 ^= tail_byte(tail[10], 16); [[fallthrough]];
    case 10: k2 ^= tail_byte(tail[9], 8); [[fallthrough]];
    case 9:
      k2 ^= tail_byte(tail[8], 0);
      k2 *= c2;
      k2 = rotl(k2, 33);
      k2 *= c1;
      h2 ^= k2;
      [[fallthrough]];
    case 8: k1 ^= tail_byte(tail[7], 56); [[fallthrough]];
    case 7: k1 ^= tail_byte(tail[6], 48); [[fallthrough]];
    case 6: k1 ^= tail_byte(tail[5], 40); [[fallthrough]];
    case 5: k1 ^= tail_byte(tail[4], 32); [[fallthrough]];
    case 4: k1 ^= tail_byte(tail[3], 24); [[fallthrough]];
    case 3: k1 ^= tail_byte(tail[2], 16); [[fallthrough]];
    case 2: k1 ^= tail_byte(tail[1], 8); [[fallthrough]];
    case 1:
      k1 ^= tail_byte(tail[0], 0);
      k1 *= c1;
      k1 = rotl(k1, 31);
      k1 *= c2;
      h1 ^= k1;
      break;
    default: break;
  }
  h1 ^= n;
  h2 ^= n;
  h1 += h2;
  h2 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  const auto token = static_cast<int64_t>(h1);
  return token == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : token;
}

}  // namespace sluice::cql
