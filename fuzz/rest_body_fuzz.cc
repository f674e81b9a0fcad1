// The REST API's request bodies (POST .../dagRuns, PATCH /dags/{id}) from arbitrary bytes: never
// crash, and whatever is accepted is a trigger the scheduler can take (conf a JSON object, run id
// within Airflow's alphabet).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "orchestrator/rest_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)sluice::orchestrator::parse_patch_body(body);
  auto t = sluice::orchestrator::parse_trigger_body("dag", body);
  if (!t) return 0;
  auto conf = nlohmann::json::parse(t->conf, nullptr, false);
  if (conf.is_discarded() || !conf.is_object()) std::abort();
  if (!t->run_id.empty() && !sluice::orchestrator::check_run_id(t->run_id)) std::abort();
  return 0;
}
