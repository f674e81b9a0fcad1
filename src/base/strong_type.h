// named_type<T, Tag>: a distinct type around an integer, so that an offset cannot be passed where
// a partition id is expected. Comparisons, hashing and formatting come along; arithmetic is only
// what offsets and ids need (step, add a delta, take a distance).
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <type_traits>

#include <fmt/format.h>

namespace sluice {

template <class T, class Tag>
  requires std::is_arithmetic_v<T>
class named_type {
 public:
  using value_type = T;

  constexpr named_type() = default;
  constexpr explicit named_type(T v) : value_(v) {}

  [[nodiscard]] constexpr T value() const { return value_; }
  constexpr auto operator<=>(const named_type&) const = default;

  constexpr named_type& operator++() {
    ++value_;
    return *this;
  }
  constexpr named_type operator++(int) {
    named_type old = *this;
    ++value_;
    return old;
  }
  constexpr named_type& operator+=(T delta) {
    value_ += delta;
    return *this;
  }
  friend constexpr named_type operator+(named_type a, T delta) {
    return named_type(a.value_ + delta);
  }
  friend constexpr named_type operator-(named_type a, T delta) {
    return named_type(a.value_ - delta);
  }
  // The distance between two values of the same kind is a plain number.
  friend constexpr T operator-(named_type a, named_type b) { return a.value_ - b.value_; }

 private:
  T value_{};
};

}  // namespace sluice

template <class T, class Tag>
struct std::hash<sluice::named_type<T, Tag>> {
  std::size_t operator()(sluice::named_type<T, Tag> v) const noexcept {
    return std::hash<T>{}(v.value());
  }
};

template <class T, class Tag>
struct fmt::formatter<sluice::named_type<T, Tag>> : fmt::formatter<T> {
  template <class Ctx>
  auto format(sluice::named_type<T, Tag> v, Ctx& ctx) const {
    return fmt::formatter<T>::format(v.value(), ctx);
  }
};
