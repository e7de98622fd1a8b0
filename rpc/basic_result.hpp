#pragma once
// basic_result<T, E>: a value of type T or an error of type E. The one value-or-error template
// of Hearth: rpc::result<T> (a call's result, E = rpc::error) and rpc::outcome<T> (any other
// fallible operation, E = rpc::failure; cluster::outcome is the same type) are aliases of it.
//
// The contract, the same as std::expected's (C++23) and boost::system::result's:
// - has_value() / operator bool say which one it holds;
// - value() is checked: on an error it throws (see throw_exception_from_error below);
// - operator* and operator-> are unchecked: precondition has_value();
// - error() and code() are unchecked: precondition !has_value().
// Errors are values: nothing in Hearth throws for a failed operation unless the caller asks for
// a value that is not there.

#include <cassert>
#include <concepts>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace hearth::rpc {

/// What checked value() throws when the result holds an error: a std::system_error whose
/// code() is the error's code (converted to std::error_code) and whose what() starts with the
/// error's sentence. Catch it as std::system_error or as bad_result_access.
class bad_result_access : public std::system_error {
  public:
    bad_result_access(std::error_code code, const std::string& what) : std::system_error(code, what) {}
};

/// The hook value() calls on an error, found by argument-dependent lookup in E's namespace
/// (the same customization point as boost::system::result). Each error type provides one that
/// throws bad_result_access; this one covers a bare std::error_code.
[[noreturn]] inline void throw_exception_from_error(const std::error_code& e) {
    throw bad_result_access(e, e.message());
}

template <class T, class E>
class [[nodiscard]] basic_result {
    static_assert(!std::is_reference_v<T> && !std::is_reference_v<E>);
    static_assert(!std::is_same_v<std::remove_cv_t<T>, E>, "a result's value and error types must differ");

  public:
    using value_type = T;
    using error_type = E;

    /// A value-initialized T.
    basic_result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
    basic_result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
    basic_result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)
    /// An error built from a code and a sentence (`co_return errc::not_found;`,
    /// `return {errc::bad_config, "…"};`): E(code, message).
    template <class Code>
    requires(std::is_enum_v<Code> || std::is_same_v<Code, std::error_code>) &&
        std::is_constructible_v<E, Code, std::string> basic_result(
            Code code, std::string message = {})  // NOLINT(implicit)
        : v_(std::in_place_index<1>, code, std::move(message)) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    /// Checked: throws bad_result_access (a std::system_error) when the result is an error.
    T& value() & {
        check();
        return *std::get_if<0>(&v_);
    }
    const T& value() const& {
        check();
        return *std::get_if<0>(&v_);
    }
    T&& value() && {
        check();
        return std::move(*std::get_if<0>(&v_));
    }

    /// Unchecked. Precondition: has_value().
    T& operator*() & noexcept { return *value_ptr(); }
    const T& operator*() const& noexcept { return *value_ptr(); }
    T&& operator*() && noexcept { return std::move(*value_ptr()); }
    T* operator->() noexcept { return value_ptr(); }
    const T* operator->() const noexcept { return value_ptr(); }

    /// Unchecked. Precondition: !has_value().
    E& error() & noexcept { return *error_ptr(); }
    const E& error() const& noexcept { return *error_ptr(); }
    E&& error() && noexcept { return std::move(*error_ptr()); }
    /// The error's code (E::code). Precondition: !has_value().
    auto code() const noexcept requires requires(const E& e) { e.code; }
    { return error_ptr()->code; }

  private:
    void check() const {
        if (!has_value()) throw_exception_from_error(*std::get_if<1>(&v_));
    }
    T* value_ptr() noexcept {
        assert(has_value());
        return std::get_if<0>(&v_);
    }
    const T* value_ptr() const noexcept {
        assert(has_value());
        return std::get_if<0>(&v_);
    }
    E* error_ptr() noexcept {
        assert(!has_value());
        return std::get_if<1>(&v_);
    }
    const E* error_ptr() const noexcept {
        assert(!has_value());
        return std::get_if<1>(&v_);
    }

    std::variant<T, E> v_;
};

/// basic_result<void, E>: success (the default) or an error. Same contract; value() returns
/// nothing and throws on an error.
template <class E>
class [[nodiscard]] basic_result<void, E> {
  public:
    using value_type = void;
    using error_type = E;

    basic_result() = default;
    basic_result(E error) : e_(std::in_place, std::move(error)) {}  // NOLINT(implicit)
    template <class Code>
    requires(std::is_enum_v<Code> || std::is_same_v<Code, std::error_code>) &&
        std::is_constructible_v<E, Code, std::string> basic_result(
            Code code, std::string message = {})  // NOLINT(implicit)
        : e_(std::in_place, code, std::move(message)) {}

    bool has_value() const noexcept { return !e_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }

    /// Checked: throws bad_result_access (a std::system_error) when the result is an error.
    void value() const {
        if (e_) throw_exception_from_error(*e_);
    }
    /// Unchecked. Precondition: has_value().
    void operator*() const noexcept { assert(has_value()); }

    /// Unchecked. Precondition: !has_value().
    E& error() & noexcept { return *error_ptr(); }
    const E& error() const& noexcept { return *error_ptr(); }
    E&& error() && noexcept { return std::move(*error_ptr()); }
    /// The error's code (E::code). Precondition: !has_value().
    auto code() const noexcept requires requires(const E& e) { e.code; }
    { return error_ptr()->code; }

  private:
    E* error_ptr() noexcept {
        assert(!has_value());
        return &*e_;
    }
    const E* error_ptr() const noexcept {
        assert(!has_value());
        return &*e_;
    }

    std::optional<E> e_;
};

}  // namespace hearth::rpc

namespace hearth {
using rpc::bad_result_access;
using rpc::basic_result;
}  // namespace hearth
