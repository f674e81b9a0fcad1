#include "kafka/codec.h"

namespace sluice::kafka {
namespace detail {

std::unexpected<error> malformed(std::string message) {
  return make_error(errc::malformed, std::move(message));
}

namespace {

// Compact lengths are stored plus one, so that 0 can mean null.
result<int32_t> read_compact_length(byte_reader& r) {
  const uint32_t n = SLUICE_TRY(r.read_unsigned_varint());
  if (n > static_cast<uint32_t>(INT32_MAX)) return malformed("compact length out of range");
  return static_cast<int32_t>(n) - 1;
}

result<int32_t> check_length(int32_t n) {
  if (n < -1) return malformed(fmt::format("negative length {}", n));
  return n;
}

}  // namespace

result<int32_t> read_string_length(byte_reader& r, layout l) {
  if (l.flexible) return read_compact_length(r);
  return check_length(SLUICE_TRY(r.read_i16()));
}

result<int32_t> read_bytes_length(byte_reader& r, layout l) {
  if (l.flexible) return read_compact_length(r);
  return check_length(SLUICE_TRY(r.read_i32()));
}

result<int32_t> read_array_length(byte_reader& r, layout l) { return read_bytes_length(r, l); }

void write_string_length(byte_writer& w, layout l, int32_t n) {
  if (l.flexible) {
    w.write_unsigned_varint(static_cast<uint32_t>(n + 1));
  } else {
    w.write_i16(static_cast<int16_t>(n));
  }
}

void write_bytes_length(byte_writer& w, layout l, int32_t n) {
  if (l.flexible) {
    w.write_unsigned_varint(static_cast<uint32_t>(n + 1));
  } else {
    w.write_i32(n);
  }
}

void write_array_length(byte_writer& w, layout l, int32_t n) { write_bytes_length(w, l, n); }

result<void> skip_tagged_fields(byte_reader& r) {
  const uint32_t count = SLUICE_TRY(r.read_unsigned_varint());
  if (count > r.remaining()) return malformed("tagged field count exceeds the frame");
  for (uint32_t i = 0; i < count; ++i) {
    SLUICE_TRY(r.read_unsigned_varint());  // tag
    const uint32_t size = SLUICE_TRY(r.read_unsigned_varint());
    SLUICE_TRY(r.skip(size));
  }
  return {};
}

}  // namespace detail

result<void> read_value(byte_reader& r, layout, uuid& v) {
  bytes_view b = SLUICE_TRY(r.read_bytes(16));
  std::copy(b.begin(), b.end(), v.bytes.begin());
  return {};
}

result<void> read_value(byte_reader& r, layout l, std::optional<std::string>& v) {
  const int32_t n = SLUICE_TRY(detail::read_string_length(r, l));
  if (n < 0) {
    v.reset();
    return {};
  }
  v = std::string(as_string_view(SLUICE_TRY(r.read_bytes(static_cast<size_t>(n)))));
  return {};
}

result<void> read_value(byte_reader& r, layout l, std::string& v) {
  const int32_t n = SLUICE_TRY(detail::read_string_length(r, l));
  if (n < 0) return detail::malformed("null string where none is allowed");
  v.assign(as_string_view(SLUICE_TRY(r.read_bytes(static_cast<size_t>(n)))));
  return {};
}

result<void> read_value(byte_reader& r, layout l, std::optional<bytes_view>& v) {
  const int32_t n = SLUICE_TRY(detail::read_bytes_length(r, l));
  if (n < 0) {
    v.reset();
    return {};
  }
  v = SLUICE_TRY(r.read_bytes(static_cast<size_t>(n)));
  return {};
}

result<void> read_value(byte_reader& r, layout l, bytes_view& v) {
  const int32_t n = SLUICE_TRY(detail::read_bytes_length(r, l));
  if (n < 0) return detail::malformed("null bytes where none are allowed");
  v = SLUICE_TRY(r.read_bytes(static_cast<size_t>(n)));
  return {};
}

void write_value(byte_writer& w, layout, const uuid& v) { w.write_bytes(bytes_view(v.bytes)); }

void write_value(byte_writer& w, layout l, const std::string& v) {
  detail::write_string_length(w, l, static_cast<int32_t>(v.size()));
  w.write_bytes(std::string_view(v));
}

void write_value(byte_writer& w, layout l, const std::optional<std::string>& v) {
  if (!v) {
    detail::write_string_length(w, l, -1);
    return;
  }
  write_value(w, l, *v);
}

void write_value(byte_writer& w, layout l, bytes_view v) {
  detail::write_bytes_length(w, l, static_cast<int32_t>(v.size()));
  w.write_bytes(v);
}

void write_value(byte_writer& w, layout l, const std::optional<bytes_view>& v) {
  if (!v) {
    detail::write_bytes_length(w, l, -1);
    return;
  }
  write_value(w, l, *v);
}

}  // namespace sluice::kafka
