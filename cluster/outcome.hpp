#pragma once
// outcome<T>: a value or a failure (an error code plus a sentence naming the problem). Every
// fallible function of the cluster module returns one; none of them throws for bad input.

#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "cluster/error.hpp"

namespace hearth::cluster {

/// A failure: a code for programs and a message for people ("node 'a.b': the name may only
/// contain letters, digits, '-' and '_'."). The message is never empty.
struct failure {
    std::error_code code;
    std::string message;

    failure(errc c, std::string msg) : code(c), message(std::move(msg)) {
        if (message.empty()) message = code.message();
    }
    failure(std::error_code c, std::string msg) : code(c), message(std::move(msg)) {
        if (message.empty()) message = code.message();
    }

    friend bool operator==(const failure& f, errc c) noexcept { return f.code == c; }
};

template <class T>
class [[nodiscard]] outcome {
  public:
    using value_type = T;

    outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
    outcome(failure f) : v_(std::in_place_index<1>, std::move(f)) {}    // NOLINT(implicit)
    outcome(errc c, std::string message) : v_(std::in_place_index<1>, c, std::move(message)) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    /// Preconditions for the accessors below: has_value() (value) or !has_value() (error).
    T& value() & noexcept { return *std::get_if<0>(&v_); }
    const T& value() const& noexcept { return *std::get_if<0>(&v_); }
    T&& value() && noexcept { return std::move(*std::get_if<0>(&v_)); }
    T& operator*() & noexcept { return value(); }
    const T& operator*() const& noexcept { return value(); }
    T* operator->() noexcept { return std::get_if<0>(&v_); }
    const T* operator->() const noexcept { return std::get_if<0>(&v_); }

    const failure& error() const& noexcept { return *std::get_if<1>(&v_); }
    failure&& error() && noexcept { return std::move(*std::get_if<1>(&v_)); }

  private:
    std::variant<T, failure> v_;
};

/// outcome<void>: success or a failure. Success costs nothing to construct.
template <>
class [[nodiscard]] outcome<void> {
  public:
    outcome() = default;
    outcome(failure f) : f_(std::move(f)) {}  // NOLINT(implicit)
    outcome(errc c, std::string message) : f_(std::in_place, c, std::move(message)) {}

    bool has_value() const noexcept { return !f_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }
    /// Precondition: !has_value().
    const failure& error() const& noexcept { return *f_; }
    failure&& error() && noexcept { return std::move(*f_); }

  private:
    std::optional<failure> f_;
};

}  // namespace hearth::cluster
