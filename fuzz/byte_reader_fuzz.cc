// A byte_reader driven by the input itself: the first bytes choose the reads, the rest is the
// buffer. Whatever the choice, a read either succeeds inside the buffer or fails without moving.
#include <cstdlib>

#include "base/bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t ops = data[0] % 16;
  if (size < 1 + ops) return 0;
  sluice::byte_reader r(sluice::bytes_view(data + 1 + ops, size - 1 - ops));
  for (size_t i = 0; i < ops; ++i) {
    const size_t before = r.position();
    bool ok = false;
    switch (data[1 + i] % 12) {
      case 0: ok = r.read_u8().has_value(); break;
      case 1: ok = r.read_i16().has_value(); break;
      case 2: ok = r.read_u32().has_value(); break;
      case 3: ok = r.read_i64().has_value(); break;
      case 4: ok = r.read_f64().has_value(); break;
      case 5: ok = r.read_varint().has_value(); break;
      case 6: ok = r.read_varlong().has_value(); break;
      case 7: ok = r.read_unsigned_varint().has_value(); break;
      case 8: ok = r.read_bytes(data[1 + i] / 12).has_value(); break;
      case 9: ok = r.skip(data[1 + i] / 12).has_value(); break;
      case 10: ok = r.read_u16().has_value(); break;
      case 11: ok = r.read_i32().has_value(); break;
    }
    if (!ok && r.position() != before) std::abort();
    if (r.position() > r.position() + r.remaining()) std::abort();
  }
  return 0;
}
