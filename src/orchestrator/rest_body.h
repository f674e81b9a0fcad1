// The request bodies of the REST API, decoded from untrusted JSON into what the scheduler takes:
// POST /api/v1/dags/{id}/dagRuns and PATCH /api/v1/dags/{id}. Errors are errc::bad_request with
// a message naming the field. Fuzzed by fuzz/rest_body_fuzz.cc.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "base/error.h"
#include "orchestrator/scheduler.h"

namespace sluice::orchestrator {

// {"dag_run_id": "...", "logical_date": "ISO 8601", "conf": {...}, "note": ...}, every field
// optional (execution_date is accepted for logical_date, as Airflow 2 does); an empty body is {}.
result<trigger_request> parse_trigger_body(std::string_view dag_id, std::string_view body);

// {"is_paused": true|false}: the new paused flag.
result<bool> parse_patch_body(std::string_view body);

// Run ids as Airflow allows them: 1 to 250 of A-Z a-z 0-9 _ . ~ : + -, so every id can be
// written in a URL path.
result<void> check_run_id(std::string_view run_id);

}  // namespace sluice::orchestrator
