#include "config/config.h"

#include <charconv>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "config/schema.h"
#include "config/spec.h"

namespace sluice::config {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::unreadable: return "config file unreadable";
    case errc::invalid: return "invalid config";
  }
  return "unknown error";
}
std::string_view category_name(errc) { return "config"; }

std::string host_port::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

result<host_port> host_port::parse(std::string_view text) {
  auto bad = [&] {
    return make_error(errc::invalid, fmt::format("expected host:port such as 127.0.0.1:9092, got "
                                                 "\"{}\"",
                                                 text));
  };
  std::string_view host, port;
  if (text.starts_with('[')) {  // [IPv6]:port
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad();
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad();
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad();  // bare IPv6 needs brackets
  }
  if (host.empty() || port.empty()) return bad();
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size()) return bad();
  if (value == 0 || value > 65535) {
    return make_error(errc::invalid, fmt::format("port {} is out of range 1-65535", port));
  }
  return host_port{std::string(host), static_cast<uint16_t>(value)};
}

std::string config::broker_data_dir() const {
  return broker.data_dir.empty() ? data_dir + "/broker" : broker.data_dir;
}
std::string config::store_data_dir() const {
  return store.data_dir.empty() ? data_dir + "/store" : store.data_dir;
}
std::string config::metadata_url() const {
  return metadata.url.empty() ? "sqlite://" + data_dir + "/metadata.db" : metadata.url;
}
host_port config::broker_advertised() const { return broker.advertised.value_or(broker.listen); }

result<config> load_string(std::string_view yaml, std::string_view name) {
  schema::context ctx{std::string(name)};
  config c;
  try {
    std::optional<YAML::Node> root = schema::load_document(yaml, ctx);
    if (!root) return make_error(errc::invalid, ctx.message());
    schema::parse_value(schema::where{*root, YAML::Mark(), ""}, ctx, c);
  } catch (const YAML::Exception& e) {
    // The walker only uses accessors that are valid for the node kinds it checked; this is the
    // last line of defence so that no input can crash a command.
    ctx.report(e.mark, "", "cannot read this document: " + e.msg);
  }
  if (!ctx.ok()) return make_error(errc::invalid, ctx.message());
  return c;
}

result<config> load_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec) {
    return make_error(errc::unreadable,
                      fmt::format("{}: cannot open: {}", path.string(), ec.message()));
  }
  if (!std::filesystem::is_regular_file(status)) {
    return make_error(errc::unreadable, fmt::format("{}: not a regular file", path.string()));
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_file_bytes) {
    return make_error(errc::unreadable, fmt::format("{}: {} bytes is larger than the {} bytes a "
                                                    "config file may have",
                                                    path.string(), size, max_file_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(errc::unreadable,
                      fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.gcount() != static_cast<std::streamsize>(text.size())) {
    return make_error(errc::unreadable, fmt::format("{}: read failed", path.string()));
  }
  return load_string(text, path.string());
}

const pipeline* config::pipeline_named(std::string_view name) const {
  for (const auto& p : pipelines) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool config::ingest_run_by_dag(std::string_view pipeline_name) const {
  for (const auto& d : dags) {
    for (const auto& t : d.tasks) {
      if (t.type == task_type::ingest && t.pipeline == pipeline_name) return true;
    }
  }
  return false;
}

task_policy task::policy(const task_policy& d) const {
  return task_policy{
      .retries = retries.value_or(d.retries),
      .retry_delay = retry_delay.value_or(d.retry_delay),
      .retry_exponential_backoff = retry_exponential_backoff.value_or(d.retry_exponential_backoff),
      .max_retry_delay = max_retry_delay.value_or(d.max_retry_delay),
      .execution_timeout = execution_timeout.value_or(d.execution_timeout)};
}

config reference() {
  config c;
  // A steady 1,000 users a second for the 60-second run: the table visibly fills, and a day's
  // run stays small on a laptop. Without a rate limit one run ingests over 100,000 users a second.
  ingest_section in;
  in.results_per_request = 500;
  in.rate_limit = 2;
  c.pipelines.push_back(pipeline{.name = "users", .ingest = in, .process = process_section{}});
  c.dags.push_back(
      dag{.id = "user_automation",
          .description = "Streams users from the API into the users_created topic, daily.",
          .schedule = "@daily",
          .catchup = false,
          .tasks = {
              task{.id = "stream_data_from_api", .type = task_type::ingest, .pipeline = "users"}}});
  return c;
}

std::string format_duration(std::chrono::milliseconds d) { return schema::render(d); }

std::string reference_markdown() {
  std::vector<schema::doc_row> rows;
  schema::document<config>(rows, "");
  std::string out = "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& r : rows) {
    out += fmt::format("| `{}` | {} | {} | {} |\n", r.key, r.type, r.default_value, r.doc);
  }
  return out;
}

}  // namespace sluice::config
