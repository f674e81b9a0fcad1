// The ingestion job's mapping on arbitrary API answers: an answer that is not JSON, lacks its
// records or holds odd values must give an error or counted bad records, never a crash, and
// every record produced must be a JSON object with every mapped field as a string.
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ingest/mapping.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::ingest;
  static const mapping m = std::move(*mapping::compile(reference_templates()));
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto out = m.apply(in, "results", 100);
  if (!out) return 0;
  if (out->records.size() + out->bad > out->total) std::abort();
  for (const auto& r : out->records) {
    const auto doc = nlohmann::json::parse(r, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || doc.size() != m.fields().size()) std::abort();
    for (const auto& [k, v] : doc.items()) {
      if (!v.is_string()) std::abort();
    }
  }
  return 0;
}
