// Airflow-style templates in commands and CQL statements: `{{ ds }}`, `{{ params.table }}`.
// Variables: ds, ds_nodash, ts, ts_nodash, logical_date, data_interval_start, data_interval_end,
// run_id, dag_id, task_id, try_number, params.NAME (the DAG's params, overridden by the run's conf)
// and conf.NAME / dag_run.conf.NAME (the run's conf). Unknown variables are an error, never
// silently empty.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/error.h"
#include "orchestrator/executor.h"

namespace sluice::orchestrator {

using template_vars = std::map<std::string, std::string, std::less<>>;

// The variables of a try. A run's conf that is not a JSON object is an error (bad_request).
result<template_vars> variables_of(const try_context& ctx);

// Fills in every {{ name }}; errors name the unknown variable or the unclosed brace.
result<std::string> render_template(std::string_view text, const template_vars& vars);

// The environment a command gets besides its own: SLUICE_DAG_ID, SLUICE_RUN_ID, SLUICE_TASK_ID,
// SLUICE_TRY_NUMBER, SLUICE_DS, SLUICE_TS, SLUICE_DATA_INTERVAL_START, SLUICE_DATA_INTERVAL_END,
// SLUICE_CONF, and Airflow's AIRFLOW_CTX_DAG_ID, _TASK_ID, _DAG_RUN_ID, _TRY_NUMBER,
// _EXECUTION_DATE for scripts written for Airflow.
std::map<std::string, std::string> environment_of(const try_context& ctx,
                                                  const template_vars& vars);

}  // namespace sluice::orchestrator
