#pragma once
// result<T>: a value or an error, the return type of every Hearth call. Errors are values.

#include <cassert>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "rpc/error.hpp"

namespace hearth::rpc {

/// A failed call: a stable code, a human message, and for remote_error the callee's own code.
struct error {
    errc code = errc::handler_failed;
    std::string message;
    std::string app_code;  ///< the handler's own code when code == remote_error, else empty

    error() = default;
    error(errc c, std::string msg = {}, std::string app = {})
        : code(c), message(std::move(msg)), app_code(std::move(app)) {}

    /// The stable name of the code ("timeout", ...).
    std::string_view name() const noexcept { return to_string(code); }
    /// "timeout: no reply within 1000 ms" / "remote_error(room_full): the room is full".
    std::string describe() const;

    friend bool operator==(const error& e, errc c) noexcept { return e.code == c; }
};

/// An application error returned by a handler: the caller sees errc::remote_error with this
/// code and message. `co_return hearth::app_error("room_full", "The room is full.");`
inline error app_error(std::string code, std::string message) {
    return error{errc::remote_error, std::move(message), std::move(code)};
}

/// Thrown only by result::value() on an error: the checked way is has_value()/error().
class bad_result_access : public std::runtime_error {
  public:
    explicit bad_result_access(const error& e) : std::runtime_error(e.describe()) {}
};

template <class T>
class [[nodiscard]] result {
  public:
    using value_type = T;

    result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}   // NOLINT(implicit)
    result(rpc::error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT(implicit)
    result(errc c, std::string message = {}) : v_(std::in_place_index<1>, c, std::move(message)) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & {
        check();
        return std::get<0>(v_);
    }
    const T& value() const& {
        check();
        return std::get<0>(v_);
    }
    T&& value() && {
        check();
        return std::get<0>(std::move(v_));
    }
    T& operator*() & noexcept { return std::get<0>(v_); }
    const T& operator*() const& noexcept { return std::get<0>(v_); }
    T* operator->() noexcept { return &std::get<0>(v_); }
    const T* operator->() const noexcept { return &std::get<0>(v_); }

    /// Precondition: !has_value().
    const rpc::error& error() const& noexcept { return std::get<1>(v_); }
    rpc::error&& error() && noexcept { return std::get<1>(std::move(v_)); }
    /// errc of the error; precondition: !has_value().
    errc code() const noexcept { return std::get<1>(v_).code; }

  private:
    void check() const {
        if (!has_value()) throw bad_result_access(std::get<1>(v_));
    }
    std::variant<T, rpc::error> v_;
};

template <>
class [[nodiscard]] result<void> {
  public:
    using value_type = void;
    result() = default;
    result(rpc::error e) : error_(std::move(e)), failed_(true) {}  // NOLINT(implicit)
    result(errc c, std::string message = {}) : error_(c, std::move(message)), failed_(true) {}

    bool has_value() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return !failed_; }
    void value() const {
        if (failed_) throw bad_result_access(error_);
    }
    const rpc::error& error() const& noexcept { return error_; }
    rpc::error&& error() && noexcept { return std::move(error_); }
    errc code() const noexcept { return error_.code; }

  private:
    rpc::error error_;
    bool failed_ = false;
};

}  // namespace hearth::rpc

namespace hearth {
using rpc::app_error;
using rpc::errc;
using rpc::result;
}  // namespace hearth
