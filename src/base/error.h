// Errors as values. Every fallible operation in sluice returns result<T> = std::expected<T, error>.
//
// An error carries a std::error_code (a per-module enum turned into a code through
// make_error) and a human-readable message that says what went wrong in terms a user can act on.
// Modules declare `enum class errc` plus two ADL-found functions:
//   std::string_view describe(errc);        // short text for each code
//   std::string_view category_name(errc);   // the module's name, e.g. "base"
// Thread-safety: values; no shared state except the function-local category singletons.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace sluice {

struct error {
  std::error_code code;
  std::string message;

  // Prefixes the message with context: "reading segment 42: short buffer: ...".
  [[nodiscard]] error with_context(std::string_view context) &&;
  // "category: message", for logs and CLI output.
  [[nodiscard]] std::string to_string() const;
};

template <class T>
using result = std::expected<T, error>;

namespace detail {
template <class E>
class enum_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return category_name(E{}).data(); }
  std::string message(int value) const override {
    return std::string(describe(static_cast<E>(value)));
  }
};
}  // namespace detail

template <class E>
  requires std::is_enum_v<E>
const std::error_category& category_of() {
  static const detail::enum_category<E> category;
  return category;
}

template <class E>
  requires std::is_enum_v<E>
std::error_code make_error_code_for(E e) {
  return {static_cast<int>(e), category_of<E>()};
}

template <class E>
  requires std::is_enum_v<E>
std::unexpected<error> make_error(E code, std::string message) {
  return std::unexpected(error{make_error_code_for(code), std::move(message)});
}

// An error from an errno value, e.g. after a failed open(2): "open /x: No such file or directory".
std::unexpected<error> errno_error(std::string_view context, int errno_value = errno);

// True when `e` carries exactly `code`.
template <class E>
  requires std::is_enum_v<E>
bool is(const error& e, E code) {
  return e.code == make_error_code_for(code);
}

// Errors of the base library itself.
enum class errc {
  ok = 0,
  short_buffer,      // a read would go past the end of its buffer
  malformed_varint,  // a varint longer than its type allows, or overflowing it
  invalid_argument,  // a caller passed a value outside the documented domain
  io_error,          // the operating system refused an operation
  already_started,   // start() on a running service
};
std::string_view describe(errc e);
std::string_view category_name(errc);

}  // namespace sluice

// Evaluates `expr` (a result<T>); on error returns the error from the enclosing function, else
// yields the value. `expr` is taken by value, so an lvalue result is copied, never moved from.
// Uses a GNU statement expression, supported by g++ and clang.
#define SLUICE_TRY(expr)                                             \
  ({                                                                 \
    auto sluice_try_result_ = (expr);                                \
    if (!sluice_try_result_) [[unlikely]]                            \
      return std::unexpected(std::move(sluice_try_result_).error()); \
    std::move(sluice_try_result_).value();                           \
  })
