#include "base/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace sluice::crc32c {
namespace {

constexpr uint32_t poly = 0x82F63B78;  // reflected Castagnoli polynomial

using table_t = std::array<std::array<uint32_t, 256>, 8>;

constexpr table_t make_tables() {
  table_t t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? poly : 0);
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
  return t;
}

constexpr table_t tables = make_tables();

uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = std::byteswap(v);
  return v;
}

using extend_fn = uint32_t (*)(uint32_t, bytes_view);

extend_fn choose() { return has_hardware() ? extend_hardware : extend_portable; }

}  // namespace

uint32_t extend_portable(uint32_t crc, bytes_view data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint32_t c = ~crc;
  while (n >= 8) {
    uint64_t w = load_le64(p) ^ c;
    c = tables[7][w & 0xff] ^ tables[6][(w >> 8) & 0xff] ^ tables[5][(w >> 16) & 0xff] ^
        tables[4][(w >> 24) & 0xff] ^ tables[3][(w >> 32) & 0xff] ^ tables[2][(w >> 40) & 0xff] ^
        tables[1][(w >> 48) & 0xff] ^ tables[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ tables[0][(c ^ *p++) & 0xff];
  return ~c;
}

namespace {

// The CRC register is linear: running it over A then B equals running it over A, advanced over
// |B| zero bytes, xor the register run over B alone. Advancing over n zero bytes multiplies by
// x^(8n) modulo the polynomial (bit-reflected, x^0 in the top bit), so three independent chains
// over adjacent blocks combine into one CRC with two such multiplications.
constexpr uint32_t multiply_mod_p(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (int bit = 31; bit >= 0; --bit) {
    product ^= b & (0u - ((a >> bit) & 1));
    b = (b >> 1) ^ (poly & (0u - (b & 1)));
  }
  return product;
}

// x^(8 * bytes) mod p.
constexpr uint32_t zeros_operator(size_t bytes) {
  uint32_t result = 1u << 31;  // x^0
  uint32_t square = 1u << 30;  // x^1, squared once per bit of the exponent
  for (size_t e = 8 * bytes; e != 0; e >>= 1) {
    if (e & 1) result = multiply_mod_p(square, result);
    square = multiply_mod_p(square, square);
  }
  return result;
}

}  // namespace

#if defined(__x86_64__)
namespace {

// Blocks of each chain: long enough that the two multiplications are noise, short enough that
// batches of a few KiB use them too.
constexpr size_t long_block = 4096;
constexpr size_t short_block = 1024;
constexpr uint32_t shift_long_1 = zeros_operator(long_block);
constexpr uint32_t shift_long_2 = zeros_operator(2 * long_block);
constexpr uint32_t shift_short_1 = zeros_operator(short_block);
constexpr uint32_t shift_short_2 = zeros_operator(2 * short_block);

// Three chains of `block` bytes each, from p; c is the running register.
__attribute__((target("sse4.2"))) inline uint64_t three_chains(uint64_t c, const uint8_t* p,
                                                               size_t block, uint32_t shift_1,
                                                               uint32_t shift_2) {
  uint64_t b = 0, d = 0;
  for (size_t i = 0; i < block; i += 8) {
    uint64_t wa, wb, wd;
    std::memcpy(&wa, p + i, 8);
    std::memcpy(&wb, p + block + i, 8);
    std::memcpy(&wd, p + 2 * block + i, 8);
    c = _mm_crc32_u64(c, wa);
    b = _mm_crc32_u64(b, wb);
    d = _mm_crc32_u64(d, wd);
  }
  return multiply_mod_p(shift_2, static_cast<uint32_t>(c)) ^
         multiply_mod_p(shift_1, static_cast<uint32_t>(b)) ^ static_cast<uint32_t>(d);
}

}  // namespace

// The crc32 instruction has a latency of 3 cycles and a throughput of one a cycle, so one chain
// uses a third of it; long inputs run three chains at once.
__attribute__((target("sse4.2"))) uint32_t extend_hardware(uint32_t crc, bytes_view data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t c = ~crc;
  for (; n >= 3 * long_block; p += 3 * long_block, n -= 3 * long_block) {
    c = three_chains(c, p, long_block, shift_long_1, shift_long_2);
  }
  for (; n >= 3 * short_block; p += 3 * short_block, n -= 3 * short_block) {
    c = three_chains(c, p, short_block, shift_short_1, shift_short_2);
  }
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool has_hardware() { return __builtin_cpu_supports("sse4.2"); }
#else
uint32_t extend_hardware(uint32_t crc, bytes_view data) { return extend_portable(crc, data); }
bool has_hardware() { return false; }
#endif

uint32_t extend(uint32_t crc, bytes_view data) {
  static const extend_fn impl = choose();
  return impl(crc, data);
}

}  // namespace sluice::crc32c
