// Produce: validate and append each partition's record batches, flush as the fsync policy says
// for the request's acks, and answer with the base offset of what was appended.
#include <set>

#include <fmt/format.h>
#include "base/log.h"
#include "broker/api_handlers.h"

#include "kafka/messages/init_producer_id.h"
#include "kafka/messages/produce.h"
#include "kafka/record_batch.h"

namespace sluice::broker {
namespace {

using namespace sluice::kafka;

bool must_flush(fsync_policy p, int16_t acks) {
  switch (p) {
    case fsync_policy::always: return true;
    case fsync_policy::acks_all: return acks == -1;
    case fsync_policy::never: return false;
  }
  return false;
}

produce_response::partition produce_partition(request_context& ctx, const std::string& topic,
                                              const produce_request::partition_data& pd,
                                              std::set<storage::partition_log*>& written) {
  produce_response::partition out;
  out.index = pd.index;
  storage::partition_log* log = ctx.state.logs.find(topic, pd.index);
  if (log == nullptr) {
    out.error = error_code::unknown_topic_or_partition;
    return out;
  }
  out.log_start_offset = log->start();
  if (!pd.records || pd.records->empty()) {
    out.error = error_code::corrupt_message;
    out.error_message = "no records";
    return out;
  }
  // Idempotent producers: a retried batch gets its original offset back instead of a second
  // copy; a gap or an old epoch is refused. Batches without a producer id skip the checks.
  producer_state& producers = ctx.state.logs.find_partition(topic, pd.index)->producers;
  // Headers only: append() validates every batch (CRC included) before writing any, so checking
  // the CRC here too would checksum each produced byte twice.
  std::vector<kafka::batch_header> headers;
  bool idempotent = false;
  for (size_t pos = 0; pos < pd.records->size();) {
    auto h = kafka::read_batch_header(pd.records->subspan(pos));
    if (!h || h->magic != 2 || h->batch_length < 0 || h->total_size() > pd.records->size() - pos) {
      break;  // append() names the problem
    }
    idempotent = idempotent || h->pid.value() >= 0;
    headers.push_back(*h);
    pos += h->total_size();
  }
  if (!idempotent) headers.clear();  // nothing to check, nothing to copy
  // Check the batches in order against a working copy, so that a second batch of the same
  // producer follows the first. All duplicates: answer with the original offset.
  producer_state working = idempotent ? producers : producer_state{};
  size_t duplicates = 0;
  std::optional<offset> first_duplicate;
  for (const auto& h : headers) {
    if (h.pid.value() < 0) continue;
    if (!ctx.state.producer_ids.allocated(h.pid)) {
      out.error = error_code::unknown_producer_id;
      out.error_message = fmt::format("producer id {} was not given by this broker", h.pid);
      return out;
    }
    sequence_verdict v = working.check(h);
    if (v.duplicate_of) {
      ++duplicates;
      if (!first_duplicate) first_duplicate = v.duplicate_of;
      continue;
    }
    if (v.error != error_code::none) {
      out.error = v.error;
      out.error_message =
          fmt::format("producer {} epoch {} sequence {}", h.pid, h.epoch, h.base_sequence);
      return out;
    }
    working.record(h);
  }
  if (duplicates > 0) {
    if (duplicates == headers.size()) {
      out.base_offset = *first_duplicate;
      return out;
    }
    out.error = error_code::out_of_order_sequence_number;
    out.error_message = "a request mixing retried and new batches";
    return out;
  }
  auto appended = log->append(ctx.writable(*pd.records));
  if (!appended) {
    out.error = to_kafka_error(appended.error());
    out.error_message = appended.error().message;
    log::get("broker")->warn("produce to {}-{} rejected: {}", topic, pd.index,
                             appended.error().message);
    return out;
  }
  out.base_offset = appended->base;
  // Record the batches with the offsets they were given (rewritten in place by append).
  for (size_t pos = 0; idempotent && pos < pd.records->size();) {
    auto h = kafka::read_batch_header(pd.records->subspan(pos));
    if (!h) break;
    producers.record(*h);
    pos += h->total_size();
  }
  written.insert(log);
  return out;
}

init_producer_id_response init_producer_id(request_context& ctx, init_producer_id_request& req) {
  init_producer_id_response resp;
  if (req.transactional_id) {
    // Transactions are not served; a clear error beats a producer that hangs.
    resp.error = error_code::invalid_request;
    log::get("broker")->warn(
        "refused InitProducerId for transactional id '{}': transactions are "
        "not supported",
        *req.transactional_id);
    return resp;
  }
  // Without a transactional id a producer always gets a fresh id at epoch 0, as from Kafka: a
  // client that resumes (KIP-360) simply starts a new sequence.
  auto id = ctx.state.producer_ids.next();
  if (!id) {
    log::get("broker")->error("InitProducerId: {}", id.error().message);
    resp.error = error_code::unknown_server_error;
    return resp;
  }
  resp.pid = *id;
  resp.epoch = producer_epoch(0);
  return resp;
}

}  // namespace

result<outcome> handle_init_producer_id(request_context& ctx, bytes_view body, byte_writer& out) {
  return adapt<init_producer_id_request, init_producer_id_response, init_producer_id>(ctx, body,
                                                                                      out);
}

result<outcome> handle_produce(request_context& ctx, bytes_view body, byte_writer& out) {
  produce_request req = SLUICE_TRY(decode<produce_request>(body, ctx.header.version));
  produce_response resp;
  const bool acks_valid = req.acks == 0 || req.acks == 1 || req.acks == -1;
  std::set<storage::partition_log*> written;
  for (const auto& t : req.topics) {
    produce_response::topic rt;
    rt.name = t.name;
    for (const auto& pd : t.partitions) {
      if (!acks_valid) {
        rt.partitions.push_back({.index = pd.index, .error = error_code::invalid_required_acks});
        continue;
      }
      rt.partitions.push_back(produce_partition(ctx, t.name, pd, written));
    }
    resp.responses.push_back(std::move(rt));
  }
  if (!written.empty()) {
    if (must_flush(ctx.state.options.fsync, req.acks)) {
      for (storage::partition_log* log : written) {
        if (auto f = log->flush(); !f) {
          // Not durable: the producer must not take this as acknowledged.
          log::get("broker")->error("flush failed: {}", f.error().message);
          for (auto& rt : resp.responses) {
            for (auto& p : rt.partitions) {
              if (p.error == error_code::none) {
                p.error = error_code::unknown_server_error;
                p.error_message = f.error().message;
              }
            }
          }
          break;
        }
      }
    }
    if (ctx.state.on_append) {
      for (const auto& rt : resp.responses) {
        for (const auto& p : rt.partitions) {
          if (p.error == error_code::none) ctx.state.on_append(rt.name, p.index);
        }
      }
    }
  }
  if (req.acks == 0) return outcome::no_response;
  encode(out, ctx.header.version, resp);
  return outcome::respond;
}

}  // namespace sluice::broker
