#include "orchestrator/templates.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace sluice::orchestrator {

namespace {

std::string nodash(std::string s) {
  std::string out;
  for (char c : s) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

std::string scalar_text(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

result<template_vars> variables_of(const try_context& ctx) {
  template_vars v;
  const std::string logical = schedule::format_iso(ctx.run.logical_date);
  const std::string ds = logical.substr(0, 10);
  v["ds"] = ds;
  v["ds_nodash"] = nodash(ds);
  v["ts"] = logical;
  v["ts_nodash"] = nodash(logical.substr(0, 19));
  v["logical_date"] = logical;
  v["data_interval_start"] = schedule::format_iso(ctx.run.interval.start);
  v["data_interval_end"] = schedule::format_iso(ctx.run.interval.end);
  v["run_id"] = ctx.run.run_id;
  v["dag_id"] = ctx.dag_id;
  v["task_id"] = ctx.task.id;
  v["try_number"] = std::to_string(ctx.claim.try_number);
  for (const auto& [k, val] : ctx.params) v["params." + k] = val;
  auto conf = nlohmann::json::parse(ctx.run.conf.empty() ? "{}" : ctx.run.conf, nullptr, false);
  if (conf.is_discarded() || !conf.is_object()) {
    return make_error(errc::bad_request, "the run's conf is not a JSON object: " + ctx.run.conf);
  }
  for (const auto& [k, val] : conf.items()) {
    v["conf." + k] = scalar_text(val);
    v["dag_run.conf." + k] = scalar_text(val);
    v["params." + k] = scalar_text(val);
  }
  return v;
}

result<std::string> render_template(std::string_view text, const template_vars& vars) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, open - i));
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return make_error(errc::bad_request,
                        fmt::format("template: '{{{{' at offset {} is never closed", open));
    }
    const std::string_view name = trim(text.substr(open + 2, close - open - 2));
    auto it = vars.find(name);
    if (it == vars.end()) {
      return make_error(errc::bad_request,
                        fmt::format("template: unknown variable '{}' (known: ds, ds_nodash, ts, "
                                    "ts_nodash, logical_date, data_interval_start, "
                                    "data_interval_end, run_id, dag_id, task_id, try_number, "
                                    "params.NAME, conf.NAME)",
                                    name));
    }
    out.append(it->second);
    i = close + 2;
  }
  return out;
}

std::map<std::string, std::string> environment_of(const try_context& ctx,
                                                  const template_vars& vars) {
  auto get = [&](std::string_view k) {
    auto it = vars.find(k);
    return it == vars.end() ? std::string() : it->second;
  };
  std::map<std::string, std::string> env{
      {"SLUICE_DAG_ID", ctx.dag_id},
      {"SLUICE_RUN_ID", ctx.run.run_id},
      {"SLUICE_TASK_ID", ctx.task.id},
      {"SLUICE_TRY_NUMBER", std::to_string(ctx.claim.try_number)},
      {"SLUICE_DS", get("ds")},
      {"SLUICE_TS", get("ts")},
      {"SLUICE_DATA_INTERVAL_START", get("data_interval_start")},
      {"SLUICE_DATA_INTERVAL_END", get("data_interval_end")},
      {"SLUICE_CONF", ctx.run.conf},
      {"AIRFLOW_CTX_DAG_ID", ctx.dag_id},
      {"AIRFLOW_CTX_TASK_ID", ctx.task.id},
      {"AIRFLOW_CTX_DAG_RUN_ID", ctx.run.run_id},
      {"AIRFLOW_CTX_TRY_NUMBER", std::to_string(ctx.claim.try_number)},
      {"AIRFLOW_CTX_EXECUTION_DATE", get("logical_date")},
  };
  for (const auto& [k, val] : ctx.task.env) env[k] = val;
  return env;
}

}  // namespace sluice::orchestrator
