// CQL native protocol v4 vocabulary: opcodes, header flags, error codes, consistency levels, as
// numbered on the wire (apache/cassandra doc/native_protocol_v4.spec). Shared by the store (the
// server side) and the CQL client.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::cql {

// Failures of the codec, mapped to CQL errors or a closed connection by the server.
enum class errc {
  ok = 0,
  malformed,            // bytes that do not follow the protocol's layout
  unsupported_version,  // a protocol version other than 4
  frame_too_large,      // a body longer than the configured limit
  unknown_opcode,
  invalid_type,   // a type name or [option] that is not a CQL type sluice serves
  invalid_value,  // bytes that are not a value of their type
};
std::string_view describe(errc e);
std::string_view category_name(errc);

inline constexpr uint8_t protocol_version = 4;
inline constexpr uint8_t response_bit = 0x80;  // set in the version byte of responses
inline constexpr size_t header_size = 9;
inline constexpr int32_t max_body_bytes = 256 << 20;  // the protocol's own ceiling

enum class opcode : uint8_t {
  error = 0x00,
  startup = 0x01,
  ready = 0x02,
  authenticate = 0x03,
  options = 0x05,
  supported = 0x06,
  query = 0x07,
  result = 0x08,
  prepare = 0x09,
  execute = 0x0A,
  register_ = 0x0B,
  event = 0x0C,
  batch = 0x0D,
  auth_challenge = 0x0E,
  auth_response = 0x0F,
  auth_success = 0x10,
};
std::string_view name(opcode op);
bool is_known(uint8_t op);

namespace flags {
inline constexpr uint8_t compression = 0x01;
inline constexpr uint8_t tracing = 0x02;
inline constexpr uint8_t custom_payload = 0x04;
inline constexpr uint8_t warning = 0x08;
}  // namespace flags

// ERROR codes, with the exception a driver raises for each.
enum class error_code : int32_t {
  server_error = 0x0000,
  protocol_error = 0x000A,
  bad_credentials = 0x0100,
  unavailable = 0x1000,
  overloaded = 0x1001,
  is_bootstrapping = 0x1002,
  truncate_error = 0x1003,
  write_timeout = 0x1100,
  read_timeout = 0x1200,
  read_failure = 0x1300,
  function_failure = 0x1400,
  write_failure = 0x1500,
  syntax_error = 0x2000,
  unauthorized = 0x2100,
  invalid = 0x2200,
  config_error = 0x2300,
  already_exists = 0x2400,
  unprepared = 0x2500,
};

enum class consistency : uint16_t {
  any = 0x0000,
  one = 0x0001,
  two = 0x0002,
  three = 0x0003,
  quorum = 0x0004,
  all = 0x0005,
  local_quorum = 0x0006,
  each_quorum = 0x0007,
  serial = 0x0008,
  local_serial = 0x0009,
  local_one = 0x000A,
};
std::string_view name(consistency c);

// RESULT kinds.
enum class result_kind : int32_t {
  void_ = 0x0001,
  rows = 0x0002,
  set_keyspace = 0x0003,
  prepared = 0x0004,
  schema_change = 0x0005,
};

}  // namespace sluice::cql
