#include "session/error.hpp"

#include <iterator>

#include <nlohmann/json.hpp>

#include "rpc/error_table.hpp"

namespace hearth::session {
namespace {

using rpc::error_entry;
using rpc::table_category;

constexpr int violation = static_cast<int>(condition::protocol_violation);

constexpr error_entry<errc> codes[] = {
    {errc::unknown_packet_type, "unknown_packet_type", "The client sent a packet of an unknown type.",
     violation},
    {errc::packet_too_large, "packet_too_large",
     "The client announced a packet larger than the allowed maximum.", violation},
    {errc::bad_varint, "bad_varint", "A message id varint is truncated, too long, or overflows 64 bits.",
     violation},
    {errc::unknown_message_type, "unknown_message_type", "The client sent a message of an unknown type.",
     violation},
    {errc::zero_request_id, "zero_request_id", "The client sent a request with message id 0.", violation},
    {errc::unknown_route_code, "unknown_route_code",
     "A compressed route code is not in the route dictionary.", violation},
    {errc::bad_message, "bad_message", "A message is truncated or malformed.", violation},
    {errc::route_too_long, "route_too_long", "A route is longer than 255 bytes."},
    {errc::bad_dictionary, "bad_dictionary", "The route dictionary has an invalid or duplicate entry."},
    {errc::decompress_failed, "decompress_failed", "A compressed payload could not be decompressed.",
     violation},
    {errc::payload_too_large, "payload_too_large",
     "A compressed payload decompresses beyond the allowed size.", violation},
    {errc::bad_handshake, "bad_handshake", "The client handshake is not a valid JSON object.", violation},
    {errc::handshake_timeout, "handshake_timeout", "The client did not complete the handshake in time."},
    {errc::data_before_ack, "data_before_ack", "The client sent data before acknowledging the handshake.",
     violation},
    {errc::unexpected_packet, "unexpected_packet",
     "The client sent a packet that is not valid in this state.", violation},
    {errc::heartbeat_timeout, "heartbeat_timeout", "The client sent nothing for two heartbeat intervals."},
};
static_assert(std::size(codes) == static_cast<std::size_t>(errc::heartbeat_timeout), "one row per errc");

constexpr error_entry<condition> conditions[] = {
    {condition::protocol_violation, "protocol_violation", "The client broke the wire protocol."},
};

const table_category<condition>& condition_table() noexcept {
    static const table_category<condition> instance{"hearth.session.condition", conditions,
                                                    "An unknown client session condition."};
    return instance;
}

const table_category<errc>& table() noexcept {
    static const table_category<errc> instance{
        "hearth.session", codes, "An unknown client protocol error occurred.", &condition_category};
    return instance;
}

// JSON string literal with escapes; invalid UTF-8 is replaced rather than thrown on, because the
// message may come from a handler we do not control.
void append_json_string(std::string& out, std::string_view s) {
    out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

const std::error_category& category() noexcept {
    return table();
}

const std::error_category& condition_category() noexcept {
    return condition_table();
}

std::string_view to_string(errc e) noexcept {
    return table().name_of(e);
}

std::optional<errc> errc_of(const std::error_code& ec) noexcept {
    return table().code_of(ec);
}

std::string_view client_error_code(rpc::errc e) noexcept {
    switch (e) {
        case rpc::errc::not_found:
            return "not_found";
        case rpc::errc::bad_request:
            return "bad_request";
        case rpc::errc::timeout:
            return "timeout";
        case rpc::errc::unreachable:
            return "unavailable";
        case rpc::errc::overloaded:
            return "overloaded";
        default:
            return "internal";
    }
}

std::string_view client_error_code(const rpc::error& e) noexcept {
    if (e.code == rpc::errc::remote_error && !e.app_code.empty()) return e.app_code;
    return client_error_code(e.code);
}

void append_error_payload(std::string& out, std::string_view code, std::string_view message) {
    out += R"({"code":)";
    append_json_string(out, code);
    out += R"(,"message":)";
    append_json_string(out, message);
    out += '}';
}

void append_error_payload(std::string& out, const rpc::error& e) {
    const auto code = client_error_code(e);
    // Handler exceptions and cancellations may carry internals; an application's own error
    // (remote_error) is meant for the client.
    const bool internal = e.code != rpc::errc::remote_error && client_error_code(e.code) == "internal";
    const std::string sentence = rpc::make_error_code(e.code).message();
    append_error_payload(out, code, internal || e.message.empty() ? std::string_view{sentence} : e.message);
}

std::string error_payload(const rpc::error& e) {
    std::string out;
    append_error_payload(out, e);
    return out;
}

}  // namespace hearth::session
