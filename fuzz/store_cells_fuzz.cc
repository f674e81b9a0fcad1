// The table store's row records (store/cells.h) on arbitrary bytes: what RocksDB hands back is
// decoded on every read and merged on every compaction, so a damaged record must give an error,
// never a crash. Decoded records re-encode to the same bytes, and merging is commutative.
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "store/cells.h"
#include "store/keys.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::store;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto r = decode_record(in)) {
    const std::string again = encode(*r);
    auto back = decode_record(again);
    check(back.has_value() && encode(*back) == again);
  }
  // Two records from one input: merged either way, the same record.
  const size_t half = size / 2;
  const std::string_view a = in.substr(0, half), b = in.substr(half);
  const std::vector<std::string_view> ab{a, b}, ba{b, a};
  const std::string x = merge_encoded(std::nullopt, ab);
  check(decode_record(x).has_value());
  if (decode_record(a) && decode_record(b)) check(x == merge_encoded(std::nullopt, ba));
  (void)unpack_values(in);
  return 0;
}
