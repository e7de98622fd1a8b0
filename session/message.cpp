#include "session/message.hpp"

#include "session/packet.hpp"
#include "session/varint.hpp"

namespace hearth::session {
namespace {
constexpr std::size_t max_route_size = 255;
}

std::string_view to_string(message_type t) noexcept {
    switch (t) {
        case message_type::request:
            return "request";
        case message_type::notify:
            return "notify";
        case message_type::response:
            return "response";
        case message_type::push:
            return "push";
    }
    return "unknown";
}

std::error_code decode_message(std::string_view body, const route_dictionary* dict, message& out) noexcept {
    if (body.empty()) return errc::bad_message;
    const auto flag = static_cast<std::uint8_t>(body[0]);
    body.remove_prefix(1);
    // Reserved bits are refused rather than ignored: a future extension must not be misread.
    if (flag & message_flag::reserved) return errc::bad_message;
    const std::uint8_t type_bits = (flag >> 1) & 0x7;
    if (type_bits > 3) return errc::unknown_message_type;

    message m;
    m.type = static_cast<message_type>(type_bits);
    m.zlib = (flag & message_flag::zlib) != 0;
    m.error = (flag & message_flag::error) != 0;

    if (has_id(m.type)) {
        if (auto ec = read_varint(body, m.id)) return ec;
        if (m.type == message_type::request && m.id == 0) return errc::zero_request_id;
    }
    if (has_route(m.type)) {
        if (flag & message_flag::compressed_route) {
            if (body.size() < 2) return errc::bad_message;
            m.compressed_route = true;
            m.route_code = static_cast<std::uint16_t>((static_cast<unsigned char>(body[0]) << 8) |
                                                      static_cast<unsigned char>(body[1]));
            body.remove_prefix(2);
            const auto route = dict ? dict->route(m.route_code) : std::nullopt;
            if (!route) return errc::unknown_route_code;
            m.route = *route;
        } else {
            if (body.empty()) return errc::bad_message;
            const std::size_t length = static_cast<unsigned char>(body[0]);
            body.remove_prefix(1);
            if (body.size() < length) return errc::bad_message;
            m.route = body.substr(0, length);
            body.remove_prefix(length);
        }
    }
    m.payload = body;
    out = m;
    return {};
}

std::error_code encode_message(std::string& out, const message& m, const route_dictionary* dict) {
    if (static_cast<std::uint8_t>(m.type) > 3) return errc::unknown_message_type;
    if (m.type == message_type::request && m.id == 0) return errc::zero_request_id;
    std::optional<std::uint16_t> code;
    if (has_route(m.type)) {
        if (dict) code = dict->code(m.route);
        if (!code && m.route.size() > max_route_size) return errc::route_too_long;
    }

    std::uint8_t flag = static_cast<std::uint8_t>(static_cast<std::uint8_t>(m.type) << 1);
    if (code) flag |= message_flag::compressed_route;
    if (m.zlib) flag |= message_flag::zlib;
    if (m.error) flag |= message_flag::error;
    out.push_back(static_cast<char>(flag));
    if (has_id(m.type)) append_varint(out, m.id);
    if (has_route(m.type)) {
        if (code) {
            out.push_back(static_cast<char>(*code >> 8));
            out.push_back(static_cast<char>(*code & 0xff));
        } else {
            out.push_back(static_cast<char>(m.route.size()));
            out.append(m.route);
        }
    }
    out.append(m.payload);
    return {};
}

std::error_code encode_data_packet(std::string& out, const message& m, const route_dictionary* dict) {
    const std::size_t offset = begin_packet(out, packet_type::data);
    if (auto ec = encode_message(out, m, dict)) {
        out.resize(offset);
        return ec;
    }
    return finish_packet(out, offset);
}

std::error_code encode_push_packet(std::string& out, std::string_view route, std::string_view payload,
                                   const route_dictionary* dict) {
    message m;
    m.type = message_type::push;
    m.route = route;
    m.payload = payload;
    return encode_data_packet(out, m, dict);
}

std::error_code encode_response_packet(std::string& out, std::uint64_t id, std::string_view payload,
                                       bool error) {
    message m;
    m.type = message_type::response;
    m.id = id;
    m.payload = payload;
    m.error = error;
    return encode_data_packet(out, m, nullptr);
}

}  // namespace hearth::session
