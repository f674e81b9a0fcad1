#include "cql/frame.h"

#include <fmt/format.h>

namespace sluice::cql {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::malformed: return "malformed frame";
    case errc::unsupported_version: return "unsupported protocol version";
    case errc::frame_too_large: return "frame too large";
    case errc::unknown_opcode: return "unknown opcode";
    case errc::invalid_type: return "invalid type";
    case errc::invalid_value: return "invalid value";
  }
  return "unknown";
}
std::string_view category_name(errc) { return "cql"; }

std::string_view name(opcode op) {
  switch (op) {
    case opcode::error: return "ERROR";
    case opcode::startup: return "STARTUP";
    case opcode::ready: return "READY";
    case opcode::authenticate: return "AUTHENTICATE";
    case opcode::options: return "OPTIONS";
    case opcode::supported: return "SUPPORTED";
    case opcode::query: return "QUERY";
    case opcode::result: return "RESULT";
    case opcode::prepare: return "PREPARE";
    case opcode::execute: return "EXECUTE";
    case opcode::register_: return "REGISTER";
    case opcode::event: return "EVENT";
    case opcode::batch: return "BATCH";
    case opcode::auth_challenge: return "AUTH_CHALLENGE";
    case opcode::auth_response: return "AUTH_RESPONSE";
    case opcode::auth_success: return "AUTH_SUCCESS";
  }
  return "UNKNOWN";
}

bool is_known(uint8_t op) { return op <= 0x10 && op != 0x04; }

std::string_view name(consistency c) {
  switch (c) {
    case consistency::any: return "ANY";
    case consistency::one: return "ONE";
    case consistency::two: return "TWO";
    case consistency::three: return "THREE";
    case consistency::quorum: return "QUORUM";
    case consistency::all: return "ALL";
    case consistency::local_quorum: return "LOCAL_QUORUM";
    case consistency::each_quorum: return "EACH_QUORUM";
    case consistency::serial: return "SERIAL";
    case consistency::local_serial: return "LOCAL_SERIAL";
    case consistency::local_one: return "LOCAL_ONE";
  }
  return "UNKNOWN";
}

result<frame_header> parse_header(bytes_view bytes, int32_t max_body) {
  if (bytes.size() != header_size) {
    return make_error(errc::malformed, fmt::format("frame header of {} bytes", bytes.size()));
  }
  byte_reader r(bytes);
  frame_header h;
  const uint8_t version = *r.read_u8();
  h.response = (version & response_bit) != 0;
  h.version = version & ~response_bit;
  h.flags = *r.read_u8();
  h.stream = *r.read_i16();
  const uint8_t op = *r.read_u8();
  h.length = *r.read_i32();
  if (h.version != protocol_version) {
    return make_error(errc::unsupported_version, unsupported_version_message(h.version));
  }
  if (h.length < 0 || h.length > max_body) {
    return make_error(errc::frame_too_large,
                      fmt::format("frame body of {} bytes (the limit is {})", h.length, max_body));
  }
  if (!is_known(op)) return make_error(errc::unknown_opcode, fmt::format("opcode 0x{:02x}", op));
  h.op = static_cast<opcode>(op);
  return h;
}

int16_t stream_of(bytes_view bytes) {
  if (bytes.size() < 4) return 0;
  return static_cast<int16_t>((bytes[2] << 8) | bytes[3]);
}

void write_header(byte_writer& w, const frame_header& h) {
  w.write_u8(static_cast<uint8_t>(h.version | (h.response ? response_bit : 0)));
  w.write_u8(h.flags);
  w.write_i16(h.stream);
  w.write_u8(static_cast<uint8_t>(h.op));
  w.write_i32(h.length);
}

std::string unsupported_version_message(int version) {
  return fmt::format("Invalid or unsupported protocol version ({}); supported versions are (4/v4)",
                     version);
}

}  // namespace sluice::cql
