// The Kafka-compatible broker as a service: listens on a TCP address and serves the APIs of
// handlers.h to any Kafka client. Asio stays behind this header.
//
// Connections are served concurrently on one network thread, each by a coroutine that reads a
// frame, answers it, and only then reads the next, so responses leave in request order (as Kafka
// does). A frame larger than max_request_bytes, a header that cannot be parsed, an unknown API or
// an unsupported version closes that connection with a log line; other connections go on.
// Thread-safety: start()/stop() from one controlling thread.
#pragma once

#include <memory>

#include "base/lifecycle.h"
#include "broker/handlers.h"

namespace sluice::broker {

class broker final : public service {
 public:
  explicit broker(broker_options options);
  ~broker() override;

  std::string_view name() const override { return "broker"; }
  // The bound address (with the actual port when the configured one was 0).
  std::string endpoint() const override;
  result<void> start() override;
  void stop() override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::broker
