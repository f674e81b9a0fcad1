// Typed CQL values for sluice's CQL client and shell: C++ values to and from the native protocol's
// serialization of each CQL type, and formatting of serialized values for display or as CQL
// literals that sluice's store (store/literals.h) and Cassandra parse back to the same bytes.
//
// Encoders never fail except where the input text or size can be wrong (varint and decimal from
// text, inet); they do not check what the server checks (text as UTF-8 unless asked, time of day
// ranges). Decoders check sizes and fail with errc::invalid_value. Collections are serialized as
// the protocol frames them ([int] count, then [int]-length elements); sets and maps are sent in the
// order given (the server sorts and deduplicates them).
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "cql/types.h"

namespace sluice::cql {

using uuid = std::array<uint8_t, 16>;

// --- Encoders --------------------------------------------------------------------------------

std::vector<uint8_t> encode_ascii(std::string_view s);  // unchecked: bytes >= 0x80 pass
std::vector<uint8_t> encode_text(std::string_view s);   // unchecked
// As encode_text, but refuses text that is not UTF-8 (errc::invalid_value).
result<std::vector<uint8_t>> encode_text_checked(std::string_view s);
std::vector<uint8_t> encode_bigint(int64_t v);
std::vector<uint8_t> encode_counter(int64_t v);
std::vector<uint8_t> encode_int(int32_t v);
std::vector<uint8_t> encode_smallint(int16_t v);
std::vector<uint8_t> encode_tinyint(int8_t v);
std::vector<uint8_t> encode_boolean(bool v);
std::vector<uint8_t> encode_float(float v);
std::vector<uint8_t> encode_double(double v);
std::vector<uint8_t> encode_timestamp(int64_t millis_since_epoch);
// Days since 1970-01-01 (negative before), serialized as Cassandra's unsigned days + 2^31.
std::vector<uint8_t> encode_date(int32_t days_since_epoch);
// Nanoseconds since midnight; the server refuses values outside [0, 86400 s).
std::vector<uint8_t> encode_time(int64_t nanos_since_midnight);
std::vector<uint8_t> encode_uuid(const uuid& u);
std::vector<uint8_t> encode_timeuuid(const uuid& u);  // the server requires version 1
std::vector<uint8_t> encode_blob(bytes_view b);
// 4 (IPv4) or 16 (IPv6) address bytes; other sizes: errc::invalid_value.
result<std::vector<uint8_t>> encode_inet(bytes_view address);
// Minimal big-endian two's complement.
std::vector<uint8_t> encode_varint(int64_t v);
// A decimal integer of any size: optional sign, then digits ("-123456789012345678901234567890").
result<std::vector<uint8_t>> encode_varint(std::string_view decimal_integer);
// [int] scale, then the unscaled value as a varint. Text: optional sign, digits with an optional
// point, optional exponent ("-12.3450" is -123450 scale 4; "1.2E+4" is 12 scale -3). The scale is
// kept as written: "1.50" and "1.5" differ.
result<std::vector<uint8_t>> encode_decimal(std::string_view decimal_number);
std::vector<uint8_t> encode_decimal(int64_t unscaled, int32_t scale);
// Collections of already-serialized elements (non-null; at most INT32_MAX bytes each).
std::vector<uint8_t> encode_list(const std::vector<std::vector<uint8_t>>& elements);
std::vector<uint8_t> encode_set(const std::vector<std::vector<uint8_t>>& elements);
std::vector<uint8_t> encode_map(
    const std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>>& entries);

// "123e4567-e89b-12d3-a456-426614174000" (hex in either case): errc::invalid_value otherwise.
result<uuid> parse_uuid(std::string_view text);
// Lower-case 8-4-4-4-12 form.
std::string format_uuid(const uuid& u);

// Cassandra's text forms of dates and times (errc::invalid_value with the text otherwise):
// a timestamp is a date, optionally ' ' or 'T' and hh:mm[:ss[.fff...]], optionally a zone (Z, +hh,
// +hhmm, +hh:mm; none is UTC), as milliseconds since the epoch; a date is [-]yyyy-mm-dd as days
// since 1970-01-01; a time is hh:mm:ss[.fffffffff] as nanoseconds since midnight.
result<int64_t> parse_timestamp(std::string_view text);
result<int32_t> parse_date(std::string_view text);
result<int64_t> parse_time(std::string_view text);

// --- Decoders (errc::invalid_value on a wrong size or malformed bytes) -------------------------

result<std::string_view> decode_ascii(bytes_view v);  // refuses bytes >= 0x80
result<std::string_view> decode_text(bytes_view v);   // refuses invalid UTF-8
result<int64_t> decode_bigint(bytes_view v);
result<int64_t> decode_counter(bytes_view v);
result<int32_t> decode_int(bytes_view v);
result<int16_t> decode_smallint(bytes_view v);
result<int8_t> decode_tinyint(bytes_view v);
result<bool> decode_boolean(bytes_view v);  // any non-zero byte is true
result<float> decode_float(bytes_view v);
result<double> decode_double(bytes_view v);
result<int64_t> decode_timestamp(bytes_view v);  // milliseconds since the epoch
result<int32_t> decode_date(bytes_view v);       // days since 1970-01-01
result<int64_t> decode_time(bytes_view v);       // nanoseconds since midnight, range-checked
result<uuid> decode_uuid(bytes_view v);
result<uuid> decode_timeuuid(bytes_view v);    // also checks version 1
result<bytes_view> decode_inet(bytes_view v);  // the 4 or 16 address bytes
// A varint that fits in int64 (else errc::invalid_value).
result<int64_t> decode_varint_int64(bytes_view v);
// Any varint as decimal text ("-123456789012345678901234567890").
result<std::string> decode_varint(bytes_view v);
// A decimal as text, the way Java's BigDecimal.toString (and Python's Decimal) writes it: plain
// ("-12.3450", scale kept) when the scale is >= 0 and the adjusted exponent >= -6, else
// scientific ("1.2E+4", "1E-7"). encode_decimal(text) gives back the same bytes.
result<std::string> decode_decimal(bytes_view v);
// Elements as views into `v`; null (negative-length) elements are refused.
result<std::vector<bytes_view>> decode_list(bytes_view v);
result<std::vector<bytes_view>> decode_set(bytes_view v);
result<std::vector<std::pair<bytes_view, bytes_view>>> decode_map(bytes_view v);

// --- Formatting --------------------------------------------------------------------------------

enum class format_style : uint8_t {
  // A CQL literal of the value's type, parsed back to the same bytes by Cassandra and by
  // store::literal_value: 'text' ('' escapes a quote), 0xcafe, 42, -1.5, NaN, Infinity,
  // -Infinity, true, uuids bare, '10.0.0.1', '2024-01-31 12:34:56.789+0000', '2024-01-31',
  // '12:34:56.123456789', exact varints and decimals ("1.2E+4" for negative scales), floats and
  // doubles in the shortest form that parses back to the same bits (NaN's payload is not kept;
  // ±7.038531e-26, the floats a parser going through double misreads, get their double's text),
  // [a, b], {a, b}, {k: v}. Timestamps and dates outside years 1-9999 are integers (milliseconds;
  // Cassandra's unsigned days + 2^31), which both servers accept for those types.
  cql,
  // As cqlsh prints cells: like `cql`, except that text, ascii, inet, date, time and timestamp are
  // unquoted at the top level (quoted inside collections), timestamps carry microseconds
  // ('2024-01-31 12:34:56.789000+0000'), dates outside years 1-9999 are signed days since the
  // epoch, and text shows backslashes doubled and control characters escaped (\n, \t, \r, \xNN).
  display,
};

// One non-null cell. An empty value of any type but text, ascii and blob formats as "" (Cassandra's
// empty value; not a literal). Bytes that are not a valid value of `type` (data_type::validate)
// never fail: they format as a hex blob with a marker, "0x0102 /* invalid int */".
std::string format_value(const data_type& type, bytes_view value, format_style style);

}  // namespace sluice::cql
