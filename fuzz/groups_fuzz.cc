// The group coordinator's decoders on arbitrary bytes: the consumer protocol's subscription and
// assignment (sent by clients inside JoinGroup and SyncGroup), and the group journal as found on
// disk after a crash. Neither may crash; a journal must open as some prefix of its entries, and
// opening what was kept must keep it all.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/log.h"
#include "groups/store.h"
#include "kafka/messages/consumer_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir = [] {
    sluice::log::setup(sluice::log::level::off, sluice::log::format::text);
    return std::filesystem::temp_directory_path() /
           ("sluice-fuzz-groups-" + std::to_string(getpid()));
  }();
  const sluice::bytes_view in(data, size);
  (void)sluice::kafka::decode_subscription(in);
  (void)sluice::kafka::decode_assignment(in);

  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "groups.journal", std::ios::binary);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  size_t kept = 0;
  {
    auto opened = sluice::groups::store::open(dir, false);
    if (!opened) std::abort();
    kept = opened->first.size_bytes();
    if (kept > size) std::abort();
  }
  auto again = sluice::groups::store::open(dir, false);
  if (!again || again->first.size_bytes() != kept) std::abort();
  return 0;
}
