// Request and response headers. A request frame is: int32 size, then the request header, then the
// body; a response frame: int32 size, response header, body.
//
//   request header v1: api_key int16, api_version int16, correlation_id int32,
//                      client_id nullable string (int16 length, even in v2)
//   request header v2: v1 followed by tagged fields (used when the request version is flexible)
//   response header v0: correlation_id int32
//   response header v1: v0 followed by tagged fields (flexible responses, except ApiVersions,
//                       whose response header is always v0 so old clients can read it)
#pragma once

#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "kafka/api.h"

namespace sluice::kafka {

struct request_header {
  api_key key{};
  int16_t version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string_view> client_id;  // a view into the frame
};

// The fixed part every request starts with: enough to answer even a request that cannot be parsed
// further (an unknown API or version).
result<request_header> read_request_prefix(byte_reader& r);
// The rest of the header: client id, and tagged fields when `flexible`.
result<void> read_request_rest(byte_reader& r, bool flexible, request_header& h);

void write_response_header(byte_writer& w, int32_t correlation_id, bool flexible);

}  // namespace sluice::kafka
