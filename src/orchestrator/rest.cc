// The REST API, shaped like Airflow's stable API (/api/v1): the same paths, JSON field names and
// problem-details errors, so tools written against Airflow's API can list, trigger and inspect
// sluice's DAGs. The only file of the module that includes cpp-httplib.
#include <httplib.h>

#include <fmt/format.h>

#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/log.h"
#include "base/thread_name.h"
#include "net/http_listen.h"
#include "orchestrator/rest_body.h"
#include "orchestrator/service.h"

namespace sluice::orchestrator {

namespace {

using json = nlohmann::json;

json iso(std::optional<time_point> t) { return t ? json(schedule::format_iso(*t)) : json(nullptr); }

json problem(int status, std::string_view title, std::string_view detail) {
  static constexpr std::string_view base =
      "https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html"
      "#section/Errors/";
  std::string_view kind = status == 404   ? "NotFound"
                          : status == 409 ? "AlreadyExists"
                          : status == 400 ? "BadRequest"
                                          : "Unknown";
  return json{{"type", std::string(base) + std::string(kind)},
              {"title", title},
              {"status", status},
              {"detail", detail}};
}

// An answer: status and JSON body (or text for plain-text logs).
struct answer {
  int status = 200;
  json body;
  std::string text;  // used when non-empty
};

answer fail(int status, std::string_view title, std::string_view detail) {
  return {status, problem(status, title, detail), {}};
}

answer from_error(const error& e) {
  if (is(e, errc::not_found)) return fail(404, "Not Found", e.message);
  if (is(e, errc::conflict)) return fail(409, "Conflict", e.message);
  if (is(e, errc::bad_request)) return fail(400, "Bad Request", e.message);
  return fail(500, "Internal Server Error", e.message);
}

json schedule_json(const dag_def& d) {
  if (d.timetable.type() == schedule::timetable::kind::manual) return nullptr;
  return json{{"__type", "CronExpression"}, {"value", d.timetable.text()}};
}

json dag_json(const dag_def& d, bool paused) {
  return json{{"dag_id", d.id},
              {"description", d.description.empty() ? json(nullptr) : json(d.description)},
              {"is_paused", paused},
              {"is_active", true},
              {"is_subdag", false},
              {"schedule_interval", schedule_json(d)},
              {"timetable_description", d.timetable.text()},
              {"max_active_runs", d.max_active_runs},
              {"catchup", d.catchup},
              {"start_date", iso(d.start_date)},
              {"end_date", iso(d.end_date)},
              {"params", d.params},
              {"tags", json::array()},
              {"owners", json::array({"sluice"})}};
}

json run_json(const run_row& r) {
  json conf = json::parse(r.conf, nullptr, false);
  if (conf.is_discarded()) conf = json::object();
  return json{{"dag_run_id", r.run_id},
              {"dag_id", r.dag_id},
              {"logical_date", schedule::format_iso(r.logical_date)},
              {"execution_date", schedule::format_iso(r.logical_date)},
              {"data_interval_start", schedule::format_iso(r.interval.start)},
              {"data_interval_end", schedule::format_iso(r.interval.end)},
              {"queued_at", schedule::format_iso(r.queued_at)},
              {"start_date", iso(r.start_date)},
              {"end_date", iso(r.end_date)},
              {"run_type", name(r.type)},
              {"state", name(r.state)},
              {"external_trigger", r.type == run_type::manual},
              {"conf", conf},
              {"note", nullptr}};
}

std::string_view operator_of(const dag_def* d, std::string_view task_id) {
  const task_def* t = d ? d->task(task_id) : nullptr;
  if (!t) return "";
  switch (t->type) {
    case config::task_type::ingest: return "IngestOperator";
    case config::task_type::process: return "ProcessOperator";
    case config::task_type::command: return "BashOperator";
    case config::task_type::cql: return "CqlOperator";
  }
  return "";
}

json task_json(const task_row& t, const run_row& r, const dag_def* d) {
  json duration = nullptr;
  if (t.start_date && t.end_date) {
    duration = std::chrono::duration<double>(*t.end_date - *t.start_date).count();
  }
  return json{{"task_id", t.key.task_id},
              {"dag_id", t.key.dag_id},
              {"dag_run_id", t.key.run_id},
              {"execution_date", schedule::format_iso(r.logical_date)},
              {"start_date", iso(t.start_date)},
              {"end_date", iso(t.end_date)},
              {"duration", duration},
              {"state", t.state == task_state::none ? json(nullptr) : json(name(t.state))},
              {"try_number", t.try_number},
              {"max_tries", t.max_tries - 1},
              {"hostname", t.hostname},
              {"unixname", ""},
              {"pid", t.pid == 0 ? json(nullptr) : json(t.pid)},
              {"pool", "default_pool"},
              {"pool_slots", 1},
              {"queue", "default"},
              {"priority_weight", 1},
              {"operator", operator_of(d, t.key.task_id)},
              {"queued_when", iso(t.queued_at)},
              {"map_index", -1},
              {"note", nullptr}};
}

int64_t query_int(const httplib::Request& req, const char* key, int64_t fallback, int64_t max) {
  if (!req.has_param(key)) return fallback;
  const std::string v = req.get_param_value(key);
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 0) return -1;
  return std::min<int64_t>(n, max);
}

}  // namespace

struct rest_server::impl {
  std::vector<dag_def> dags;
  std::mutex mu;  // one request at a time on the connection
  std::unique_ptr<state_store> db;
  executor* ex = nullptr;
  const clock& time;
  httplib::Server http;
  std::thread thread;
  std::string bound;
  bool running = false;

  impl(std::vector<dag_def> d, std::unique_ptr<state_store> s, executor* e, const clock& c)
      : dags(std::move(d)), db(std::move(s)), ex(e), time(c) {}

  const dag_def* find(std::string_view id) const {
    for (const auto& d : dags) {
      if (d.id == id) return &d;
    }
    return nullptr;
  }

  answer dag_missing(std::string_view id) {
    return fail(404, "DAG not found", fmt::format("DAG with dag_id: '{}' not found", id));
  }

  answer list_dags(const httplib::Request& req) {
    const int64_t limit = query_int(req, "limit", 100, 1000);
    const int64_t offset = query_int(req, "offset", 0, INT64_MAX);
    if (limit < 0 || offset < 0) return fail(400, "Bad Request", "limit and offset: integers >= 0");
    auto rows = db->dags();
    if (!rows) return from_error(rows.error());
    json out = json::array();
    int64_t total = 0;
    for (const auto& r : *rows) {
      const dag_def* d = find(r.dag_id);
      if (d == nullptr) continue;  // in the database from an older config
      if (req.has_param("paused") && (req.get_param_value("paused") == "true") != r.is_paused) {
        continue;
      }
      if (total++ >= offset && static_cast<int64_t>(out.size()) < limit) {
        out.push_back(dag_json(*d, r.is_paused));
      }
    }
    return {200, json{{"dags", out}, {"total_entries", total}}, {}};
  }

  answer get_dag(const std::string& id) {
    const dag_def* d = find(id);
    auto row = db->dag(id);
    if (!row) return from_error(row.error());
    if (d == nullptr || !*row) return dag_missing(id);
    return {200, dag_json(*d, (*row)->is_paused), {}};
  }

  answer patch_dag(const std::string& id, const httplib::Request& req) {
    const dag_def* d = find(id);
    if (d == nullptr) return dag_missing(id);
    auto paused = parse_patch_body(req.body);
    if (!paused) return from_error(paused.error());
    if (req.has_param("update_mask") && req.get_param_value("update_mask") != "is_paused") {
      return fail(400, "Bad Request", "only is_paused can be updated");
    }
    if (auto r = db->set_paused(id, *paused); !r) return from_error(r.error());
    if (ex) ex->notify();
    return get_dag(id);
  }

  answer list_runs(const std::string& id, const httplib::Request& req) {
    if (find(id) == nullptr) return dag_missing(id);
    const int64_t limit = query_int(req, "limit", 100, 1000);
    const int64_t offset = query_int(req, "offset", 0, INT64_MAX);
    if (limit < 0 || offset < 0) return fail(400, "Bad Request", "limit and offset: integers >= 0");
    std::optional<run_state> state;
    if (req.has_param("state")) {
      state = parse_run_state(req.get_param_value("state"));
      if (!state) return fail(400, "Bad Request", "state: queued, running, success or failed");
    }
    auto runs = db->runs(id, state, limit, offset);
    if (!runs) return from_error(runs.error());
    auto total = db->count_runs(id, state);
    if (!total) return from_error(total.error());
    json out = json::array();
    for (const auto& r : *runs) out.push_back(run_json(r));
    return {200, json{{"dag_runs", out}, {"total_entries", *total}}, {}};
  }

  answer post_run(const std::string& id, const httplib::Request& req) {
    const dag_def* d = find(id);
    if (d == nullptr) return dag_missing(id);
    auto t = parse_trigger_body(id, req.body);
    if (!t) return from_error(t.error());
    auto run = trigger_run(*db, *d, *t, time.now());
    if (!run) return from_error(run.error());
    if (ex) ex->notify();
    return {200, run_json(*run), {}};
  }

  answer get_run(const std::string& id, const std::string& run_id) {
    if (find(id) == nullptr) return dag_missing(id);
    auto run = db->run(id, run_id);
    if (!run) return from_error(run.error());
    if (!*run) {
      return fail(
          404, "DAGRun not found",
          fmt::format("DAGRun with DAG ID: '{}' and DagRun ID: '{}' not found", id, run_id));
    }
    return {200, run_json(**run), {}};
  }

  answer list_tasks(const std::string& id, const std::string& run_id,
                    const std::string& task_id = {}) {
    const dag_def* d = find(id);
    if (d == nullptr) return dag_missing(id);
    auto run = db->run(id, run_id);
    if (!run) return from_error(run.error());
    if (!*run) return get_run(id, run_id);
    auto tasks = db->tasks(id, run_id);
    if (!tasks) return from_error(tasks.error());
    json out = json::array();
    for (const auto& t : *tasks) {
      if (task_id.empty() || t.key.task_id == task_id) out.push_back(task_json(t, **run, d));
    }
    if (!task_id.empty()) {
      if (out.empty()) return fail(404, "Task instance not found", "no task " + task_id);
      return {200, out[0], {}};
    }
    return {200, json{{"task_instances", out}, {"total_entries", out.size()}}, {}};
  }

  answer get_log(const std::string& id, const std::string& run_id, const std::string& task_id,
                 const std::string& try_text, const httplib::Request& req) {
    if (find(id) == nullptr) return dag_missing(id);
    char* end = nullptr;
    const long try_number = std::strtol(try_text.c_str(), &end, 10);
    if (try_text.empty() || *end != '\0' || try_number < 1) {
      return fail(400, "Bad Request", "the try number is an integer >= 1");
    }
    const task_key key{id, run_id, task_id};
    auto t = db->attempt(key, static_cast<int>(try_number));
    if (!t) return from_error(t.error());
    if (!*t) {
      return fail(404, "Task instance not found",
                  fmt::format("no try {} of task {} in run {}", try_number, task_id, run_id));
    }
    std::string content = (*t)->log;
    if (ex && ((*t)->state == "running" || (*t)->state == "queued")) {
      if (auto live = ex->live_log(key, static_cast<int>(try_number))) content = *live;
    }
    if (req.get_header_value("Accept").find("text/plain") != std::string::npos) {
      return {200, nullptr, content.empty() ? std::string("\n") : content};
    }
    return {200, json{{"content", content}, {"continuation_token", nullptr}}, {}};
  }

  answer health() {
    auto all = db->schedulers();
    if (!all) {
      return {
          200,
          json{{"metadatabase", {{"status", "unhealthy"}}},
               {"scheduler", {{"status", "unhealthy"}, {"latest_scheduler_heartbeat", nullptr}}}},
          {}};
    }
    std::optional<time_point> latest;
    for (const auto& s : *all) {
      if (!latest || s.heartbeat_at > *latest) latest = s.heartbeat_at;
    }
    const bool healthy = latest && time.now() - *latest < std::chrono::seconds(30);
    return {200,
            json{{"metadatabase", {{"status", "healthy"}}},
                 {"scheduler",
                  {{"status", healthy ? "healthy" : "unhealthy"},
                   {"latest_scheduler_heartbeat", iso(latest)}}}},
            {}};
  }

  void route(const httplib::Request& req, httplib::Response& res,
             const std::function<answer()>& f) {
    answer a;
    {
      std::lock_guard lock(mu);
      a = f();
    }
    res.status = a.status;
    if (!a.text.empty()) {
      res.set_content(a.text, "text/plain; charset=utf-8");
    } else {
      res.set_content(a.body.dump(),
                      a.status >= 400 ? "application/problem+json" : "application/json");
    }
    log::get("rest")->debug("{} {} -> {}", req.method, req.path, a.status);
  }

  void install() {
    http.Get("/api/v1/health",
             [this](const auto& q, auto& r) { route(q, r, [&] { return health(); }); });
    http.Get("/api/v1/dags",
             [this](const auto& q, auto& r) { route(q, r, [&] { return list_dags(q); }); });
    http.Get(R"(/api/v1/dags/([^/]+))", [this](const auto& q, auto& r) {
      route(q, r, [&] { return get_dag(q.matches[1]); });
    });
    http.Patch(R"(/api/v1/dags/([^/]+))", [this](const auto& q, auto& r) {
      route(q, r, [&] { return patch_dag(q.matches[1], q); });
    });
    http.Get(R"(/api/v1/dags/([^/]+)/dagRuns)", [this](const auto& q, auto& r) {
      route(q, r, [&] { return list_runs(q.matches[1], q); });
    });
    http.Post(R"(/api/v1/dags/([^/]+)/dagRuns)", [this](const auto& q, auto& r) {
      route(q, r, [&] { return post_run(q.matches[1], q); });
    });
    http.Get(R"(/api/v1/dags/([^/]+)/dagRuns/([^/]+))", [this](const auto& q, auto& r) {
      route(q, r, [&] { return get_run(q.matches[1], q.matches[2]); });
    });
    http.Get(R"(/api/v1/dags/([^/]+)/dagRuns/([^/]+)/taskInstances)",
             [this](const auto& q, auto& r) {
               route(q, r, [&] { return list_tasks(q.matches[1], q.matches[2]); });
             });
    http.Get(R"(/api/v1/dags/([^/]+)/dagRuns/([^/]+)/taskInstances/([^/]+))",
             [this](const auto& q, auto& r) {
               route(q, r, [&] { return list_tasks(q.matches[1], q.matches[2], q.matches[3]); });
             });
    http.Get(R"(/api/v1/dags/([^/]+)/dagRuns/([^/]+)/taskInstances/([^/]+)/logs/([^/]+))",
             [this](const auto& q, auto& r) {
               route(q, r, [&] {
                 return get_log(q.matches[1], q.matches[2], q.matches[3], q.matches[4], q);
               });
             });
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (res.status == 404 && res.body.empty()) {
        res.set_content(
            problem(404, "Not Found", "no such path: " + req.method + " " + req.path).dump(),
            "application/problem+json");
      } else if (res.status == 405 && res.body.empty()) {
        res.set_content(problem(405, "Method Not Allowed", req.method + " " + req.path).dump(),
                        "application/problem+json");
      }
    });
    http.set_payload_max_length(1 << 20);
  }
};

rest_server::rest_server(std::vector<dag_def> dags, std::unique_ptr<state_store> db, executor* ex,
                         const clock& c)
    : impl_(std::make_unique<impl>(std::move(dags), std::move(db), ex, c)) {}

rest_server::~rest_server() { stop(); }

std::string rest_server::endpoint() const { return impl_->bound; }

result<void> rest_server::start(const config::host_port& l) {
  impl& m = *impl_;
  m.http.new_task_queue = [] { return new httplib::ThreadPool(2); };
  m.http.set_tcp_nodelay(true);
  m.install();
  auto bound = net::bind_http(m.http, l);
  if (!bound) return std::unexpected(std::move(bound.error()).with_context("HTTP listener"));
  m.bound = *bound;
  m.thread = std::thread([&m] {
    name_this_thread("rest-http");
    m.http.listen_after_bind();
  });
  m.running = true;
  log::get("rest")->info("REST API on http://{}/api/v1", m.bound);
  return {};
}

void rest_server::stop() {
  impl& m = *impl_;
  if (!m.running) return;
  m.http.stop();
  m.thread.join();
  m.running = false;
}

}  // namespace sluice::orchestrator
