// Fetch and ListOffsets: reading the logs.
#include <chrono>

#include "broker/api_handlers.h"
#include "kafka/messages/fetch.h"
#include "kafka/messages/list_offsets.h"

namespace sluice::broker {
namespace {

using namespace sluice::kafka;

list_offsets_response list_offsets(request_context& ctx, list_offsets_request& req) {
  list_offsets_response resp;
  for (const auto& t : req.topics) {
    list_offsets_response::topic rt;
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      list_offsets_response::partition rp;
      rp.index = p.index;
      storage::partition_log* log = ctx.state.logs.find(t.name, p.index);
      if (log == nullptr) {
        rp.error = error_code::unknown_topic_or_partition;
      } else if (p.timestamp == earliest_timestamp) {
        rp.found = log->start();
      } else if (p.timestamp == latest_timestamp) {
        rp.found = log->end();
      } else if (auto o = log->offset_for_timestamp(p.timestamp); !o) {
        rp.error = to_kafka_error(o.error());
      } else if (*o == log->end()) {
        rp.found = offset(-1);  // no record at or after that time, as Kafka answers
      } else {
        rp.found = *o;
        rp.timestamp = p.timestamp;
      }
      if (rp.error == error_code::none) rp.old_style_offsets = {rp.found.value()};
      if (p.timestamp < 0) rp.timestamp = -1;
      rt.partitions.push_back(std::move(rp));
    }
    resp.topics.push_back(std::move(rt));
  }
  return resp;
}

}  // namespace

result<outcome> handle_list_offsets(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<list_offsets_request, list_offsets_response, list_offsets>(ctx, body, out);
}

// Reads up to max_bytes in all (at least one batch, from the first partition that has data, even
// when larger: KIP-74), each partition up to its own limit. When fewer than min_bytes are there
// and the request may wait, answers `wait` instead: the server asks again when data arrives or
// max_wait_ms has passed.
constexpr int32_t max_fetch_wait_ms = 30'000;

result<outcome> handle_fetch(request_context& ctx, bytes_view body, byte_writer& out) {
  fetch_request req = SLUICE_TRY(decode<fetch_request>(body, ctx.header.version));
  fetch_response resp;
  std::vector<std::vector<uint8_t>> chunks;  // owns the bytes the response points into
  // Kafka's fetch.max.bytes: no response is built larger than this, whatever the client asks.
  constexpr int64_t max_fetch_bytes = 55 << 20;
  int64_t budget =
      req.max_bytes > 0 ? std::min<int64_t>(req.max_bytes, max_fetch_bytes) : max_fetch_bytes;
  int64_t total = 0;
  for (const auto& t : req.topics) {
    fetch_response::topic rt;
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      fetch_response::partition rp;
      rp.index = p.index;
      storage::partition_log* log = ctx.state.logs.find(t.name, p.index);
      if (log == nullptr) {
        rp.error = error_code::unknown_topic_or_partition;
        rt.partitions.push_back(std::move(rp));
        continue;
      }
      rp.high_watermark = log->end();
      rp.last_stable_offset = log->end();
      rp.log_start_offset = log->start();
      rp.aborted_transactions.emplace();
      const int64_t limit = std::min<int64_t>(p.partition_max_bytes, budget);
      if (limit > 0 || total == 0) {
        auto bytes = log->read(p.fetch_offset, static_cast<size_t>(std::max<int64_t>(limit, 1)));
        if (!bytes) {
          rp.error = to_kafka_error(bytes.error());
        } else if (!bytes->empty()) {
          total += static_cast<int64_t>(bytes->size());
          budget -= static_cast<int64_t>(bytes->size());
          chunks.push_back(std::move(*bytes));
          rp.records = bytes_view(chunks.back());
        }
      }
      if (!rp.records) rp.records = bytes_view();
      rt.partitions.push_back(std::move(rp));
    }
    resp.responses.push_back(std::move(rt));
  }
  if (!ctx.final_attempt && total < req.min_bytes && req.max_wait_ms > 0) {
    // max_wait is an upper bound: answering sooner is allowed, and a cap keeps a client from
    // holding a connection's coroutine for days.
    ctx.wait = std::chrono::milliseconds(std::min(req.max_wait_ms, max_fetch_wait_ms));
    for (const auto& t : req.topics) {
      for (const auto& p : t.partitions) ctx.waiting_on.emplace_back(t.name, p.index);
    }
    return outcome::wait;
  }
  encode(out, ctx.header.version, resp);
  return outcome::respond;
}

}  // namespace sluice::broker
