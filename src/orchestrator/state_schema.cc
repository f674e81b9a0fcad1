// The metadata database's schema, as numbered migrations (metadb::migrate applies the missing
// ones). Instants are milliseconds since the epoch (BIGINT), states are their names (TEXT). Append
// a migration to change the schema; never edit one that has shipped.
#include "orchestrator/state_schema.h"

namespace sluice::orchestrator {

namespace {

constexpr std::string_view v1 = R"sql(
CREATE TABLE dags (
  dag_id TEXT PRIMARY KEY,
  is_paused INTEGER NOT NULL,
  schedule TEXT NOT NULL,
  description TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL
);
CREATE TABLE dag_runs (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  run_type TEXT NOT NULL,
  logical_date BIGINT NOT NULL,
  data_interval_start BIGINT NOT NULL,
  data_interval_end BIGINT NOT NULL,
  state TEXT NOT NULL,
  conf TEXT NOT NULL,
  queued_at BIGINT NOT NULL,
  start_date BIGINT,
  end_date BIGINT,
  PRIMARY KEY (dag_id, run_id),
  UNIQUE (dag_id, logical_date)
);
CREATE INDEX dag_runs_by_state ON dag_runs (state, logical_date);
CREATE TABLE task_instances (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  state TEXT NOT NULL,
  try_number INTEGER NOT NULL,
  max_tries INTEGER NOT NULL,
  next_try_at BIGINT,
  scheduled_at BIGINT,
  queued_at BIGINT,
  start_date BIGINT,
  end_date BIGINT,
  scheduler_id TEXT NOT NULL,
  hostname TEXT NOT NULL,
  pid BIGINT NOT NULL,
  PRIMARY KEY (dag_id, run_id, task_id)
);
CREATE INDEX task_instances_by_state ON task_instances (state, scheduled_at);
CREATE TABLE task_tries (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  try_number INTEGER NOT NULL,
  state TEXT NOT NULL,
  scheduler_id TEXT NOT NULL,
  hostname TEXT NOT NULL,
  pid BIGINT NOT NULL,
  start_date BIGINT NOT NULL,
  end_date BIGINT,
  reason TEXT NOT NULL,
  log TEXT NOT NULL,
  PRIMARY KEY (dag_id, run_id, task_id, try_number)
);
CREATE TABLE schedulers (
  scheduler_id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  pid BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL
);
)sql";

constexpr metadb::migration all[] = {{.version = 1, .sql = v1}};

}  // namespace

std::span<const metadb::migration> schema_migrations() { return all; }

}  // namespace sluice::orchestrator
