#pragma once
// Error vocabulary of client sessions: why a client connection is closed for breaking the wire
// protocol (client-protocol.md), and how call errors are shown to clients (section 5).

#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "rpc/result.hpp"

namespace hearth::session {

/// Why a client's bytes were refused. Every one of these closes the connection; the gate logs
/// it at debug level and counts it. Values are stable (they appear in metrics labels).
enum class errc {
    unknown_packet_type = 1,  ///< packet type byte is not 1..5
    packet_too_large,         ///< announced body length exceeds the configured maximum
    bad_varint,               ///< message id varint is truncated, longer than 10 bytes or overflows 64 bits
    unknown_message_type,     ///< message type bits (flag >> 1) & 7 are not 0..3
    zero_request_id,          ///< a Request carries message id 0
    unknown_route_code,       ///< compressed route code is not in the route dictionary
    bad_message,              ///< message body truncated, reserved flag bits set, or otherwise malformed
    route_too_long,           ///< (encoding) a plain route longer than 255 bytes
    bad_dictionary,           ///< route dictionary has a bad entry, duplicate route or duplicate code
    decompress_failed,        ///< a zlib payload is corrupt or truncated
    payload_too_large,        ///< a zlib payload inflates beyond the allowed size
    bad_handshake,            ///< handshake body is not a JSON object of the expected shape
    handshake_timeout,        ///< no handshake within the handshake timeout
    data_before_ack,          ///< a Data packet arrived before the HandshakeAck
    unexpected_packet,        ///< a packet that is not valid in the current state (e.g. a second handshake)
    heartbeat_timeout,        ///< nothing inbound for 2 x heartbeat
};

/// Groups of errc, tested with `ec == condition::protocol_violation` (the Beast manner).
enum class condition {
    /// The client's bytes break the wire protocol: every errc except the two timeouts
    /// (handshake_timeout, heartbeat_timeout) and the encoder's and configuration's own codes
    /// (route_too_long, bad_dictionary).
    protocol_violation = 1,
};

/// The error category of errc ("hearth.session"); its messages are full sentences.
const std::error_category& category() noexcept;

/// The category of condition ("hearth.session.condition").
const std::error_category& condition_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

inline std::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

/// The stable lower-case name of a code ("unknown_packet_type", ...), "unknown" otherwise.
std::string_view to_string(errc e) noexcept;

/// The errc `ec` holds, or nullopt when `ec` is of another category: the checked way from a
/// std::error_code to an errc.
std::optional<errc> errc_of(const std::error_code& ec) noexcept;

/// The client error code (client-protocol.md section 5) for a call error code:
/// not_found, bad_request, timeout, unavailable (rpc unreachable), overloaded, and internal
/// for handler_failed, cancelled and anything else. remote_error maps to "internal" here;
/// use the rpc::error overload to get the application's own code.
std::string_view client_error_code(rpc::errc e) noexcept;

/// As above, but for remote_error the application's own code (e.app_code) when it has one.
/// The returned view refers into `e` or into static storage.
std::string_view client_error_code(const rpc::error& e) noexcept;

/// Appends the JSON payload of an error Response, {"code":"...","message":"..."}, with both
/// strings JSON-escaped. Invalid UTF-8 in `message` is replaced, never thrown on.
void append_error_payload(std::string& out, std::string_view code, std::string_view message);

/// Appends the error-Response payload for a failed call. The message is e.message (or the
/// rpc category sentence when empty), except for handler_failed, cancelled and unknown codes: those get the
/// generic sentence only, so that exception texts from handlers never leak to clients.
void append_error_payload(std::string& out, const rpc::error& e);

/// The error-Response payload for a failed call, as a new string.
std::string error_payload(const rpc::error& e);

}  // namespace hearth::session

template <>
struct std::is_error_code_enum<hearth::session::errc> : std::true_type {};

template <>
struct std::is_error_condition_enum<hearth::session::condition> : std::true_type {};
