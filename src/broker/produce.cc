// Produce: validate and append each partition's record batches, flush as the fsync policy says
// for the request's acks, and answer with the base offset of what was appended.
#include <set>

#include "base/log.h"
#include "broker/api_handlers.h"
#include "kafka/messages/produce.h"

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
  auto appended = log->append(ctx.writable(*pd.records));
  if (!appended) {
    out.error = to_kafka_error(appended.error());
    out.error_message = appended.error().message;
    log::get("broker")->warn("produce to {}-{} rejected: {}", topic, pd.index,
                             appended.error().message);
    return out;
  }
  out.base_offset = appended->base;
  written.insert(log);
  return out;
}

}  // namespace

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
    if (ctx.state.on_append) ctx.state.on_append();
  }
  if (req.acks == 0) return outcome::no_response;
  encode(out, ctx.header.version, resp);
  return outcome::respond;
}

}  // namespace sluice::broker
