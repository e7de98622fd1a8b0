#pragma once
// Message codec: the body of a Data packet (client-protocol.md section 3).
//
//   +------+----------------------------+--------------------------------+---------+
//   | flag | message id (varint)        | route                          | payload |
//   | 1 B  | Request and Response only  | Request, Notify and Push only  | rest    |
//   +------+----------------------------+--------------------------------+---------+
//   flag bits 7..0: 0 0 E Z T T T C
//     C 0x01 compressed route (uint16 BE dictionary code), TTT (flag >> 1) & 7 message type,
//     Z 0x10 zlib payload (Pitaya), E 0x20 error Response (Pitaya).
//
// Decoding is zero-copy: a decoded message points into the packet body and the dictionary.
// Encoding appends to a caller-owned string, so a broadcast encodes once and shares the bytes.

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "session/error.hpp"
#include "session/route_dictionary.hpp"

namespace hearth::session {

enum class message_type : std::uint8_t {
    request = 0,   ///< C->S, id and route; answered by exactly one Response
    notify = 1,    ///< C->S, route, no answer
    response = 2,  ///< S->C, echoes the Request's id
    push = 3,      ///< S->C, route
};

/// "request", "notify", "response", "push" or "unknown".
std::string_view to_string(message_type t) noexcept;

constexpr bool has_id(message_type t) noexcept {
    return t == message_type::request || t == message_type::response;
}
constexpr bool has_route(message_type t) noexcept {
    return t != message_type::response;
}

namespace message_flag {
inline constexpr std::uint8_t compressed_route = 0x01;
inline constexpr std::uint8_t zlib = 0x10;
inline constexpr std::uint8_t error = 0x20;
inline constexpr std::uint8_t reserved = 0xc0;  ///< must be zero
}  // namespace message_flag

/// A decoded message, or the description of one to encode.
struct message {
    message_type type = message_type::request;
    std::uint64_t id = 0;    ///< Request and Response only
    std::string_view route;  ///< Request, Notify and Push; resolved from the dictionary when compressed
    std::string_view payload;
    bool compressed_route = false;  ///< decode: the route arrived as a dictionary code
    std::uint16_t route_code = 0;   ///< decode: that code, when compressed_route
    bool zlib = false;              ///< the payload is zlib-compressed (see session/compression.hpp)
    bool error = false;             ///< a Response carrying an error payload
};

/// Decodes a Data packet body. `dict` (may be null: no dictionary) resolves compressed routes;
/// the decoded route then points into the dictionary, otherwise into `body`. Errors:
/// bad_message (empty or truncated body, reserved flag bits), unknown_message_type,
/// bad_varint, zero_request_id, unknown_route_code. The E flag is reported as is whatever the
/// type; the C flag is ignored on Responses, which carry no route (as pomelo clients do).
/// The payload is returned as received: when `zlib` is set, inflate it before use.
[[nodiscard]] std::error_code decode_message(std::string_view body, const route_dictionary* dict,
                                             message& out) noexcept;

/// Appends the encoding of `m` (type, id, route, payload, error and zlib flags; compressed_route
/// and route_code are ignored). The route is sent as a dictionary code when `dict` has it, as a
/// plain string otherwise. Errors (and `out` is left unchanged): route_too_long for a plain
/// route over 255 bytes, zero_request_id for a Request with id 0, unknown_message_type for a
/// type outside 0..3.
[[nodiscard]] std::error_code encode_message(std::string& out, const message& m,
                                             const route_dictionary* dict = nullptr);

/// As encode_message, wrapped in a Data packet header (one contiguous buffer ready to write).
/// Also returns packet_too_large when the message exceeds the 24-bit packet length.
[[nodiscard]] std::error_code encode_data_packet(std::string& out, const message& m,
                                                 const route_dictionary* dict = nullptr);

/// Server-side shorthands producing whole Data packets. A push is encoded once and its bytes
/// shared by every recipient (groups, broadcast). Errors as encode_data_packet.
[[nodiscard]] std::error_code encode_push_packet(std::string& out, std::string_view route,
                                                 std::string_view payload,
                                                 const route_dictionary* dict = nullptr);
[[nodiscard]] std::error_code encode_response_packet(std::string& out, std::uint64_t id,
                                                     std::string_view payload, bool error = false);

}  // namespace hearth::session
