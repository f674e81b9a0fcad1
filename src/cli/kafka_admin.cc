// The librdkafka client shared by `sluice topics` and `sluice groups` (see kafka_admin.h).
#include "cli/kafka_admin.h"

#include <fmt/core.h>

#include "base/log.h"

namespace sluice::cli::kafka {
namespace {

// librdkafka logs from its own threads with syslog levels; sluice's loggers are thread-safe.
void log_line(const rd_kafka_t*, int level, const char* facility, const char* text) {
  static const auto logger = log::get("rdkafka");
  const auto l = level <= 4   ? spdlog::level::warn
                 : level <= 6 ? spdlog::level::info
                              : spdlog::level::debug;
  logger->log(l, "{}: {}", facility, text);
}

// Called from rd_kafka_poll() on the command's thread.
void error_line(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* errors = static_cast<connection_errors*>(opaque);
  switch (err) {
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN: errors->all_brokers_down = true; break;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE: errors->last = reason; break;
    default: break;
  }
}

}  // namespace

std::string bootstrap_of(const config::config& c, const std::string& flag) {
  if (!flag.empty()) return flag;
  if (c.embedded_broker()) return c.broker_advertised().to_string();
  std::string out;
  for (const auto& h : c.kafka.bootstrap) out += (out.empty() ? "" : ",") + h.to_string();
  return out;
}

result<client> connect(const std::string& bootstrap) {
  char err[512];
  auto errors = std::make_unique<connection_errors>();
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, log_line);
  rd_kafka_conf_set_error_cb(conf, error_line);
  rd_kafka_conf_set_opaque(conf, errors.get());
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK ||
      // Looking at a topic must not create it.
      rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", err, sizeof err) !=
          RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return make_error(sluice::errc::invalid_argument, err);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) return make_error(sluice::errc::invalid_argument, err);
  return client{std::move(errors), handle(rk), bootstrap};
}

admin_options client::options(rd_kafka_admin_op_t op) const {
  admin_options o(rd_kafka_AdminOptions_new(rk.get(), op));
  char err[512];
  rd_kafka_AdminOptions_set_request_timeout(o.get(), timeout_ms, err, sizeof err);
  return o;
}

result<event> client::wait(rd_kafka_queue_t* q) const {
  // The request times itself out after timeout_ms; the margin only guards against a lost event.
  event ev(rd_kafka_queue_poll(q, timeout_ms + 5000));
  if (ev == nullptr) {
    return make_error(sluice::errc::io_error, explain(RD_KAFKA_RESP_ERR__TIMED_OUT));
  }
  if (rd_kafka_event_error(ev.get())) {
    return make_error(sluice::errc::io_error, explain(rd_kafka_event_error(ev.get()),
                                                      rd_kafka_event_error_string(ev.get())));
  }
  return ev;
}

std::string client::explain(rd_kafka_resp_err_t e, const char* text) const {
  std::string what = text != nullptr ? text : rd_kafka_err2str(e);
  if (e != RD_KAFKA_RESP_ERR__TIMED_OUT && e != RD_KAFKA_RESP_ERR__TRANSPORT &&
      e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && e != RD_KAFKA_RESP_ERR__RESOLVE) {
    return what;
  }
  rd_kafka_poll(rk.get(), 0);  // collects the connection errors reported so far
  if (errors->all_brokers_down) {
    return fmt::format("cannot reach the broker at {} ({})", bootstrap,
                       errors->last.empty() ? what : errors->last);
  }
  return fmt::format("no answer from the broker at {} within {} s ({})", bootstrap,
                     timeout_ms / 1000, what);
}

}  // namespace sluice::cli::kafka
