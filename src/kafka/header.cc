#include "kafka/header.h"

#include "kafka/codec.h"

namespace sluice::kafka {

result<request_header> read_request_prefix(byte_reader& r) {
  request_header h;
  h.key = static_cast<api_key>(SLUICE_TRY(r.read_i16()));
  h.version = SLUICE_TRY(r.read_i16());
  h.correlation_id = SLUICE_TRY(r.read_i32());
  return h;
}

result<void> read_request_rest(byte_reader& r, bool flexible, request_header& h) {
  // The client id keeps its int16 length even in header v2.
  const int16_t n = SLUICE_TRY(r.read_i16());
  if (n < -1) return detail::malformed("negative client id length");
  if (n >= 0) h.client_id = as_string_view(SLUICE_TRY(r.read_bytes(static_cast<size_t>(n))));
  if (flexible) SLUICE_TRY(detail::skip_tagged_fields(r));
  return {};
}

void write_response_header(byte_writer& w, int32_t correlation_id, bool flexible) {
  w.write_i32(correlation_id);
  if (flexible) w.write_unsigned_varint(0);
}

}  // namespace sluice::kafka
