// Varint decoding on arbitrary bytes: never reads past the input, and every value it accepts
// re-encodes to a canonical form that decodes to the same value.
#include <cstdlib>

#include "base/bytes.h"
#include "base/varint.h"

namespace {

template <class T>
void check(bool ok, const T& a, const T& b) {
  if (!ok || a != b) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sluice::bytes_view in(data, size);
  if (auto d = sluice::varint::decode_varint(in)) {
    check(d->size <= sluice::varint::max_bytes_32 && d->size <= size, d->size, d->size);
    sluice::byte_writer w;
    w.write_varint(d->value);
    auto again = sluice::varint::decode_varint(w.view());
    check(again.has_value() && again->size == w.size(), again->value, d->value);
  }
  if (auto d = sluice::varint::decode_varlong(in)) {
    check(d->size <= sluice::varint::max_bytes_64 && d->size <= size, d->size, d->size);
    sluice::byte_writer w;
    w.write_varlong(d->value);
    auto again = sluice::varint::decode_varlong(w.view());
    check(again.has_value() && again->size == w.size(), again->value, d->value);
  }
  if (auto d = sluice::varint::decode_unsigned32(in)) {
    check(d->size <= size, d->size, d->size);
  }
  return 0;
}
