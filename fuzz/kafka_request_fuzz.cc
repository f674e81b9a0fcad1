// Kafka request handling on arbitrary frames: header, dispatch and every message decoder. The
// broker must answer or refuse each frame without crashing, and any answer must be a well-formed
// response frame (its size prefix matches).
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "base/clock.h"
#include "base/log.h"
#include "broker/handlers.h"

namespace {

sluice::broker::broker_state& state() {
  static sluice::broker::broker_state* s = [] {
    sluice::log::setup(sluice::log::level::off, sluice::log::format::text);
    auto dir =
        std::filesystem::temp_directory_path() / ("sluice-fuzz-broker-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    auto topics = sluice::broker::topic_table::open(dir);
    if (!topics) std::abort();
    if (!topics->create("users_created", 3)) std::abort();
    sluice::broker::broker_options o;
    o.auto_create_topics = false;  // no disk writes per input
    o.data_dir = dir.string();
    o.fsync = sluice::broker::fsync_policy::never;  // fuzzing is not about durability
    sluice::broker::log_manager logs(dir, o.log);
    if (!logs.open_all(*topics)) std::abort();
    auto ids = sluice::broker::producer_id_allocator::open(dir);
    if (!ids) std::abort();
    sluice::groups::coordinator_options g;
    g.sync = false;
    g.offset_retention_ms = 1;  // see expire_groups()
    auto coordinator = sluice::groups::coordinator::open(dir / "groups", g, {});
    if (!coordinator) std::abort();
    return new sluice::broker::broker_state{o,
                                            {"127.0.0.1", 9092},
                                            "fuzz-cluster-id-000000",
                                            std::move(*topics),
                                            std::move(logs),
                                            std::move(*ids),
                                            std::move(*coordinator),
                                            nullptr};
  }();
  return *s;
}

// Inputs create groups, members and committed offsets that would only expire with time. Every
// thousand inputs, let two hours pass for the coordinator, so memory stays bounded on long runs.
void expire_groups() {
  static int inputs = 0;
  static int64_t jump_ms = 0;
  if (++inputs % 1000 != 0) return;
  jump_ms += 2 * 3600 * 1000;
  const auto steady = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
  state().groups->tick({steady.count() + jump_ms, sluice::wall_clock_ms() + jump_ms});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::byte_writer out;
  // Produce rewrites offsets in place: hand it a copy of the input.
  std::vector<uint8_t> frame(data, data + size);
  const auto h = sluice::broker::handle_request(state(), frame, out, "fuzz");
  expire_groups();
  if (h.what == sluice::broker::handled::respond) {
    sluice::byte_reader r(out.view());
    auto n = r.read_i32();
    if (!n || static_cast<size_t>(*n) != r.remaining()) std::abort();
  }
  return 0;
}
