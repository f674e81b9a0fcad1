// Throughput of the base codecs on the broker's hot path: CRC-32C over record batches (verified on
// every produce) and varint decoding (every record header field).
//
// Baselines in the same run: reading the same bytes (a sum over 64-bit words, what any checksum
// must at least do) is the machine's limit; the table-driven CRC is what a CPU without SSE4.2
// would get.
#include <benchmark/benchmark.h>

#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "base/bytes.h"
#include "base/crc32c.h"
#include "base/varint.h"

namespace {

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  std::mt19937_64 rng(1);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

void bytes_args(benchmark::internal::Benchmark* b) {
  for (int64_t n : {64, 1024, 16 * 1024, 1024 * 1024}) b->Arg(n);
}

void baseline_read_bytes(benchmark::State& state) {
  const auto buf = random_bytes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    uint64_t sum = 0;
    for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, buf.data() + i, 8);
      sum += w;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(baseline_read_bytes)->Apply(bytes_args);

void crc32c_hardware(benchmark::State& state) {
  if (!sluice::crc32c::has_hardware()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  const auto buf = random_bytes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(sluice::crc32c::extend_hardware(0, buf));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(crc32c_hardware)->Apply(bytes_args);

void crc32c_portable(benchmark::State& state) {
  const auto buf = random_bytes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(sluice::crc32c::extend_portable(0, buf));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(crc32c_portable)->Apply(bytes_args);

// 4096 varlongs with the length mix of record headers (mostly 1-2 bytes, some timestamps).
std::vector<uint8_t> varlong_stream() {
  sluice::byte_writer w;
  std::mt19937_64 rng(2);
  for (int i = 0; i < 4096; ++i) {
    const int64_t v =
        (i % 8 == 0) ? static_cast<int64_t>(rng() >> 20) : static_cast<int64_t>(rng() % 300);
    w.write_varlong(v);
  }
  auto view = w.view();
  return {view.begin(), view.end()};
}

void varlong_decode(benchmark::State& state) {
  const auto buf = varlong_stream();
  for (auto _ : state) {
    sluice::byte_reader r(buf);
    int64_t sum = 0;
    while (!r.empty()) sum += *r.read_varlong();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 4096);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(varlong_decode);

void varlong_encode(benchmark::State& state) {
  std::vector<int64_t> values(4096);
  std::mt19937_64 rng(3);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] =
        (i % 8 == 0) ? static_cast<int64_t>(rng() >> 20) : static_cast<int64_t>(rng() % 300);
  }
  for (auto _ : state) {
    sluice::byte_writer w(4096 * 10);
    for (int64_t v : values) w.write_varlong(v);
    benchmark::DoNotOptimize(w.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 4096);
}
BENCHMARK(varlong_encode);

}  // namespace

BENCHMARK_MAIN();
