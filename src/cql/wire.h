// The body primitives of the CQL native protocol v4, read from a bounded byte_reader and written to
// a byte_writer. Readers never read past the body and refuse counts the body cannot hold, so a
// hostile length cannot make a server allocate. Views returned point into the body.
//
//   [int] i32   [long] i64   [short] u16   [string] short length + UTF-8
//   [long string] int length + UTF-8      [bytes] int length, < 0 = null
//   [value] int length, -1 = null, -2 = not set   [short bytes] short length
//   [string list] short n + n [string]     [string map] short n + n ([string], [string])
//   [string multimap] short n + n ([string], [string list])
//   [uuid] 16 bytes   [inet] u8 size (4 or 16) + address + [int] port   [consistency] [short]
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "cql/protocol.h"

namespace sluice::cql::wire {

using string_map = std::vector<std::pair<std::string, std::string>>;
using string_multimap = std::vector<std::pair<std::string, std::vector<std::string>>>;

// A bound value: set (with bytes), null, or not set (v4: leave the column as it is).
struct value {
  enum kind : uint8_t { set, null, unset } what = set;
  bytes_view bytes;
};

struct inet {
  std::vector<uint8_t> address;  // 4 or 16 bytes
  int32_t port = 0;
};

result<std::string_view> read_string(byte_reader& r);
result<std::string_view> read_long_string(byte_reader& r);
result<std::optional<bytes_view>> read_bytes(byte_reader& r);
result<bytes_view> read_short_bytes(byte_reader& r);
result<value> read_value(byte_reader& r);
result<std::vector<std::string>> read_string_list(byte_reader& r);
result<string_map> read_string_map(byte_reader& r);
result<string_multimap> read_string_multimap(byte_reader& r);
result<consistency> read_consistency(byte_reader& r);
result<std::array<uint8_t, 16>> read_uuid(byte_reader& r);
result<inet> read_inet(byte_reader& r);

void write_string(byte_writer& w, std::string_view s);
void write_long_string(byte_writer& w, std::string_view s);
void write_bytes(byte_writer& w, std::optional<bytes_view> b);
void write_short_bytes(byte_writer& w, bytes_view b);
void write_value(byte_writer& w, const value& v);
void write_string_list(byte_writer& w, const std::vector<std::string>& l);
void write_string_map(byte_writer& w, const string_map& m);
void write_string_multimap(byte_writer& w, const string_multimap& m);
void write_consistency(byte_writer& w, consistency c);
void write_uuid(byte_writer& w, const std::array<uint8_t, 16>& u);
void write_inet(byte_writer& w, const inet& a);

}  // namespace sluice::cql::wire
