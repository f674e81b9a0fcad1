// CQL data types: their protocol ids, their CQL names, their [option] encoding in result
// metadata, and checks of values in the native protocol's serialized form (which is also the
// form the store keeps). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "cql/protocol.h"

namespace sluice::cql {

enum class type_id : uint16_t {
  custom = 0x0000,
  ascii = 0x0001,
  bigint = 0x0002,
  blob = 0x0003,
  boolean = 0x0004,
  counter = 0x0005,
  decimal = 0x0006,
  double_ = 0x0007,
  float_ = 0x0008,
  int_ = 0x0009,
  timestamp = 0x000B,
  uuid = 0x000C,
  varchar = 0x000D,  // `text` is its other name
  varint = 0x000E,
  timeuuid = 0x000F,
  inet = 0x0010,
  date = 0x0011,
  time = 0x0012,
  smallint = 0x0013,
  tinyint = 0x0014,
  list = 0x0020,
  map = 0x0021,
  set = 0x0022,
};

struct data_type {
  type_id id = type_id::blob;
  std::vector<data_type> params;  // list and set: the element; map: key and value

  bool operator==(const data_type&) const = default;
  [[nodiscard]] bool is_collection() const {
    return id == type_id::list || id == type_id::set || id == type_id::map;
  }
  // The fixed size of a value, or -1 when values vary in size.
  [[nodiscard]] int fixed_size() const;

  // "int", "text", "list<text>", "map<text, int>" (case-insensitive; `varchar` and `text` alike;
  // `frozen<...>` is accepted and means the same here). Collections nest one level, as in
  // non-frozen Cassandra columns.
  static result<data_type> parse(std::string_view name);
  // The name Cassandra shows in system_schema.columns.type and DESCRIBE ("text", "map<text, int>").
  [[nodiscard]] std::string name() const;

  // [option]: the id, then the parameters' options.
  void write_option(byte_writer& w) const;
  static result<data_type> read_option(byte_reader& r);

  // Whether `value` (serialized as the native protocol does) is a valid value of this type:
  // sizes, UTF-8 for text, 7-bit for ascii, a version-1 UUID for timeuuid, collection framing.
  [[nodiscard]] result<void> validate(bytes_view value) const;
};

}  // namespace sluice::cql
