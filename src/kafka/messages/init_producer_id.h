// InitProducerId (key 22): gives an idempotent producer its id and epoch. Transactions are not
// served, so a transactional id is refused.
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

struct init_producer_id_request {
  std::optional<std::string> transactional_id;
  int32_t transaction_timeout_ms = 0;
  producer_id pid{-1};
  producer_epoch epoch{-1};

  static constexpr versions valid = between(0, 4);
  static constexpr versions flexible = since(2);
  static constexpr auto fields() {
    using r = init_producer_id_request;
    return std::tuple{field("transactional_id", &r::transactional_id, since(0), since(0)),
                      field("transaction_timeout_ms", &r::transaction_timeout_ms, since(0)),
                      field("producer_id", &r::pid, since(3)),
                      field("producer_epoch", &r::epoch, since(3))};
  }
};

struct init_producer_id_response {
  int32_t throttle_time_ms = 0;
  error_code error = error_code::none;
  producer_id pid{-1};
  producer_epoch epoch{-1};

  static constexpr versions valid = between(0, 4);
  static constexpr versions flexible = since(2);
  static constexpr auto fields() {
    using r = init_producer_id_response;
    return std::tuple{field("throttle_time_ms", &r::throttle_time_ms, since(0)),
                      field("error_code", &r::error, since(0)),
                      field("producer_id", &r::pid, since(0)),
                      field("producer_epoch", &r::epoch, since(0))};
  }
};

}  // namespace sluice::kafka
