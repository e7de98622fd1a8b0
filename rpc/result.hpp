#pragma once
// result<T>: a value or an error, the return type of every Hearth call. Errors are values.

#include <string>
#include <string_view>
#include <utility>

#include "rpc/basic_result.hpp"
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

/// value() of a result holding an error throws bad_result_access, a std::system_error whose
/// code() is make_error_code(e.code) and whose what() starts with e.describe().
[[noreturn]] void throw_exception_from_error(const error& e);

/// The result of a call: a T or an rpc::error. basic_result's contract (rpc/basic_result.hpp):
/// checked value() (throws bad_result_access), unchecked * and ->, error() and code() only on
/// failure.
template <class T>
using result = basic_result<T, error>;

}  // namespace hearth::rpc

namespace hearth {
using rpc::app_error;
using rpc::errc;
using rpc::result;
}  // namespace hearth
