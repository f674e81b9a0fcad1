// The random-user API's query strings on arbitrary bytes: parse_query() must refuse or accept
// without crashing, and whatever it accepts must give a response that is valid JSON with as many
// users as asked for (capped here to keep inputs fast).
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/generator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::api;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto q = parse_query(in);
  if (!q) return 0;
  q->results = std::min(q->results, 3);
  static const generator gen(20'000);
  const std::string body = gen.respond(*q);
  const auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || doc["results"].size() != static_cast<size_t>(q->results)) std::abort();
  return 0;
}
