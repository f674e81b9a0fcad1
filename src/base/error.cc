#include "base/error.h"

#include <cstring>

namespace sluice {

error error::with_context(std::string_view context) && {
  std::string m;
  m.reserve(context.size() + 2 + message.size());
  m.append(context).append(": ").append(message);
  return error{code, std::move(m)};
}

std::string error::to_string() const {
  if (!code) return message;
  return std::string(code.category().name()) + ": " + message;
}

std::unexpected<error> errno_error(std::string_view context, int errno_value) {
  std::string m(context);
  m.append(": ").append(std::strerror(errno_value));
  return std::unexpected(error{std::error_code(errno_value, std::system_category()), std::move(m)});
}

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::short_buffer: return "short buffer";
    case errc::malformed_varint: return "malformed varint";
    case errc::invalid_argument: return "invalid argument";
    case errc::io_error: return "I/O error";
    case errc::already_started: return "already started";
  }
  return "unknown error";
}

std::string_view category_name(errc) { return "base"; }

}  // namespace sluice
