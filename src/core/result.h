#pragma once

#include <cassert>
#include <ostream>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/errc.h"

namespace tenet::core {

// An expected failure: a stable code, a human-readable detail, and optionally the OS/library cause.
struct Error {
  Errc code = Errc::kInternal;
  std::string detail;
  std::error_code cause;

  // Prefixes the detail with where the error passed through ("loading ca.pem: ...").
  Error with_context(std::string_view context) &&;
  std::string to_string() const;
};

std::ostream& operator<<(std::ostream& os, const Error& e);

// The stand-in for std::unexpected (GCC 12 lacks std::expected under C++20).
struct Unexpected {
  Error error;
};

inline Unexpected fail(Error e) { return Unexpected{std::move(e)}; }
inline Unexpected fail(Errc code, std::string detail = {}, std::error_code cause = {}) {
  return Unexpected{Error{code, std::move(detail), cause}};
}

// Holds a T or an Error. Member names follow std::expected so that C++23 is one alias away.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Result> &&
             !std::is_same_v<std::decay_t<U>, Unexpected> && !std::is_same_v<std::decay_t<U>, T>)
  Result(U&& u) : v_(std::in_place_index<0>, T(std::forward<U>(u))) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Error& error() & { return std::get<1>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : err_(std::move(u.error)), ok_(false) {}  // NOLINT

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  void value() const { assert(ok_); }
  Error& error() & { return err_; }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};

// Returns the error of a Result<T> as an Unexpected, for early returns.
template <typename T>
Unexpected propagate(Result<T>&& r) {
  return Unexpected{std::move(r).error()};
}

}  // namespace tenet::core
