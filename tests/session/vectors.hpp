#pragma once
// The test vectors of client-protocol.md section 6, as whole packets. Shared by the unit tests
// and by the program that the Node.js harness compares with pomelo-protocol (tests/node).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "session/handshake.hpp"
#include "session/message.hpp"
#include "session/packet.hpp"
#include "session/route_dictionary.hpp"

namespace hearth::session::test {

struct vector_case {
    std::string name;
    std::string packet;  ///< encoded with Hearth's codec
};

/// The dictionary of the "Push, dict code 5" vector.
inline route_dictionary vectors_dictionary() {
    route_dictionary d;
    (void)d.add("onMessage.dict", 5);
    return d;
}

inline constexpr std::string_view notify_payload = R"({"content":"hello, world!"})";
inline constexpr std::string_view response_payload = R"({"code":0,"result":"success"})";

/// Names and order match tests/node/vectors.js.
inline std::vector<vector_case> encode_vectors() {
    std::vector<vector_case> out;
    const auto dict = vectors_dictionary();
    auto add = [&](std::string name, auto&& encode) {
        std::string bytes;
        encode(bytes);
        out.push_back({std::move(name), std::move(bytes)});
    };
    add("handshake_ack", [](std::string& b) { b += handshake_ack_packet; });
    add("heartbeat", [](std::string& b) { b += heartbeat_packet; });
    add("request", [](std::string& b) {
        message m;
        m.type = message_type::request;
        m.id = 1;
        m.route = "room.join";
        m.payload = "{}";
        (void)encode_data_packet(b, m);
    });
    add("notify", [](std::string& b) {
        message m;
        m.type = message_type::notify;
        m.route = "room.message";
        m.payload = notify_payload;
        (void)encode_data_packet(b, m);
    });
    add("response", [](std::string& b) { (void)encode_response_packet(b, 1, response_payload); });
    add("push", [](std::string& b) { (void)encode_push_packet(b, "onMessage", "{}"); });
    add("push_dict", [&](std::string& b) { (void)encode_push_packet(b, "onMessage.dict", "{}", &dict); });
    add("handshake_reply", [](std::string& b) {
        (void)encode_packet(b, packet_type::handshake, handshake_reply(std::chrono::seconds(30), 1700000000));
    });
    return out;
}

}  // namespace hearth::session::test
