#pragma once
// Error vocabulary shared by every Hearth module: the stable codes a call can fail with.

#include <cstddef>
#include <optional>
#include <string_view>
#include <system_error>

namespace hearth::rpc {

/// Why a call or notify failed. The numeric values and the names returned by to_string() are
/// part of the wire contract (cluster frames and client error responses carry the names).
enum class errc {
    timeout = 1,     ///< no reply within the caller's timeout (the callee may still run)
    unreachable,     ///< the node is unknown, down, or was removed while the call was in flight
    not_found,       ///< no such service, or the service has no such method
    bad_request,     ///< the payload does not decode into the handler's request type
    overloaded,      ///< a bounded queue on the way is full
    cancelled,       ///< the caller cancelled, or the node is stopping
    handler_failed,  ///< the handler threw; the details are in the callee's log
    remote_error,    ///< the handler returned its own error code and message
};

/// How many codes errc has (the last one's value): sizes tables indexed by code.
inline constexpr std::size_t errc_count = static_cast<std::size_t>(errc::remote_error);

/// The error category of errc; its messages are full sentences.
const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

/// The stable lower-case name of a code ("timeout", "not_found", ...).
std::string_view to_string(errc e) noexcept;

/// The code with that stable name, if there is one.
std::optional<errc> errc_from_string(std::string_view name) noexcept;

/// The errc `ec` holds, or nullopt when `ec` is of another category (or an unknown value):
/// the checked way from a std::error_code to an errc.
std::optional<errc> errc_of(const std::error_code& ec) noexcept;

/// The errc whose numeric value is `value` (as carried by a wire field), nullopt otherwise.
std::optional<errc> errc_from_int(int value) noexcept;

}  // namespace hearth::rpc

template <>
struct std::is_error_code_enum<hearth::rpc::errc> : std::true_type {};
