#include "orchestrator/rest_body.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace sluice::orchestrator {

using json = nlohmann::json;

result<void> check_run_id(std::string_view id) {
  const bool ok_chars = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '~' || c == ':' || c == '+' || c == '-';
  });
  if (id.empty() || id.size() > 250 || !ok_chars) {
    return make_error(errc::bad_request,
                      "dag_run_id: 1 to 250 characters of A-Z, a-z, 0-9, _ . ~ : + -");
  }
  return {};
}

result<trigger_request> parse_trigger_body(std::string_view dag_id, std::string_view body) {
  json j = body.empty() ? json::object() : json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(errc::bad_request, "the body must be a JSON object");
  }
  trigger_request t{.dag_id = std::string(dag_id)};
  for (const auto& [k, v] : j.items()) {
    if (v.is_null() && (k == "dag_run_id" || k == "logical_date" || k == "execution_date" ||
                        k == "conf" || k == "note")) {
      continue;  // null: the default
    }
    if (k == "dag_run_id" && v.is_string()) {
      t.run_id = v.get<std::string>();
      if (auto c = check_run_id(t.run_id); !c) return std::unexpected(c.error());
    } else if ((k == "logical_date" || k == "execution_date") && v.is_string()) {
      auto when = schedule::parse_iso(v.get<std::string>());
      if (!when) return make_error(errc::bad_request, k + ": " + when.error().message);
      t.logical_date = *when;
    } else if (k == "conf" && v.is_object()) {
      t.conf = v.dump();
    } else if (k == "note" && v.is_string()) {
      // Accepted for compatibility with Airflow's clients; sluice keeps no notes.
    } else {
      return make_error(errc::bad_request,
                        fmt::format("unexpected field or type: {} ({})", k, v.type_name()));
    }
  }
  return t;
}

result<bool> parse_patch_body(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("is_paused") ||
      !j["is_paused"].is_boolean()) {
    return make_error(errc::bad_request, "expected a JSON object such as {\"is_paused\": true}");
  }
  return j["is_paused"].get<bool>();
}

}  // namespace sluice::orchestrator
