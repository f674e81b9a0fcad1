#include "cql/compression.h"

#include <lz4.h>

#include <fmt/format.h>

#include "cql/protocol.h"

namespace sluice::cql {

std::vector<uint8_t> lz4_compress(bytes_view body) {
  const int bound = LZ4_compressBound(static_cast<int>(body.size()));
  std::vector<uint8_t> out(4 + static_cast<size_t>(bound));
  const auto n = static_cast<uint32_t>(body.size());
  out[0] = static_cast<uint8_t>(n >> 24);
  out[1] = static_cast<uint8_t>(n >> 16);
  out[2] = static_cast<uint8_t>(n >> 8);
  out[3] = static_cast<uint8_t>(n);
  const int written = LZ4_compress_default(reinterpret_cast<const char*>(body.data()),
                                           reinterpret_cast<char*>(out.data() + 4),
                                           static_cast<int>(body.size()), bound);
  out.resize(4 + static_cast<size_t>(std::max(written, 0)));
  return out;
}

result<std::vector<uint8_t>> lz4_decompress(bytes_view compressed, size_t max_bytes) {
  if (compressed.size() < 4)
    return make_error(errc::malformed, "compressed body shorter than its length");
  const uint32_t n = (uint32_t{compressed[0]} << 24) | (uint32_t{compressed[1]} << 16) |
                     (uint32_t{compressed[2]} << 8) | compressed[3];
  if (n > max_bytes || n > INT32_MAX) {
    return make_error(
        errc::frame_too_large,
        fmt::format("compressed body expands to {} bytes (the limit is {})", n, max_bytes));
  }
  std::vector<uint8_t> out(n);
  const int got = LZ4_decompress_safe(reinterpret_cast<const char*>(compressed.data() + 4),
                                      reinterpret_cast<char*>(out.data()),
                                      static_cast<int>(compressed.size() - 4), static_cast<int>(n));
  if (got < 0 || static_cast<uint32_t>(got) != n) {
    return make_error(errc::malformed, "LZ4 body does not decompress to its stated length");
  }
  return out;
}

}  // namespace sluice::cql
