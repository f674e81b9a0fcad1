// The 9-byte frame header of the CQL native protocol v4:
//
//   version:u8 (0x04 request, 0x84 response)  flags:u8  stream:i16  opcode:u8  length:i32
//
// parse_header() checks what can be checked before the body is read, so that a server can answer
// a bad frame (an unsupported version gets the exact error text drivers parse to downgrade) or
// close the connection without reading a body a client lied about.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "cql/protocol.h"

namespace sluice::cql {

struct frame_header {
  uint8_t version = protocol_version;  // without the response bit
  bool response = false;
  uint8_t flags = 0;
  int16_t stream = 0;
  opcode op = opcode::error;
  int32_t length = 0;
};

// Reads a header from exactly header_size bytes. Errors: unsupported_version (the header's
// stream is still usable to answer on), frame_too_large, unknown_opcode, malformed.
result<frame_header> parse_header(bytes_view bytes, int32_t max_body = max_body_bytes);
// The stream id of a header that failed to parse, to answer on; 0 when even that is unreadable.
int16_t stream_of(bytes_view bytes);

void write_header(byte_writer& w, const frame_header& h);

// The ERROR message that tells a driver which versions to retry with, word for word.
std::string unsupported_version_message(int version);

}  // namespace sluice::cql
