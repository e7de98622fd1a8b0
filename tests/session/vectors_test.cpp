// client-protocol.md section 6, byte for byte, both ways.
#include "session/message.hpp"

#include <catch2/catch.hpp>

#include "session/handshake.hpp"
#include "session/packet.hpp"
#include "tests/session/hex.hpp"
#include "tests/session/vectors.hpp"

using namespace hearth::session;
using test::from_hex;
using test::to_hex;

namespace {

// The contract's bytes; "..." in the contract is filled with this test's payloads.
std::string expected(std::string_view name) {
    const std::string hello = to_hex(test::notify_payload);
    const std::string result = to_hex(test::response_payload);
    if (name == "handshake_ack") return "02 00 00 00";
    if (name == "heartbeat") return "03 00 00 00";
    if (name == "request") return "04 00 00 0e 00 01 09 72 6f 6f 6d 2e 6a 6f 69 6e 7b 7d";
    if (name == "notify") return "04 00 00 29 02 0c 72 6f 6f 6d 2e 6d 65 73 73 61 67 65 " + hello;
    if (name == "response") return "04 00 00 1f 04 01 " + result;
    if (name == "push") return "04 00 00 0d 06 09 6f 6e 4d 65 73 73 61 67 65 7b 7d";
    if (name == "push_dict") return "04 00 00 05 07 00 05 7b 7d";
    if (name == "handshake_reply")
        return "01 00 00 3b " + to_hex(R"({"code":200,"sys":{"heartbeat":30,"servertime":1700000000}})");
    return "?";
}

struct owned_packet {
    packet_type type;
    std::string body;
};

// The decoder's views die with it: copy the body out.
owned_packet decode_one(std::string_view bytes) {
    packet_decoder d;
    packet p;
    std::error_code ec;
    std::copy(bytes.begin(), bytes.end(), d.prepare(bytes.size()));
    d.commit(bytes.size());
    REQUIRE(d.next(p, ec));
    REQUIRE_FALSE(ec);
    REQUIRE(d.buffered() == 0);
    return {p.type, std::string(p.body)};
}

}  // namespace

TEST_CASE("contract vectors encode byte-exact") {
    for (const auto& v : test::encode_vectors()) {
        INFO(v.name);
        REQUIRE(to_hex(v.packet) == expected(v.name));
    }
    // The contract's own prefixes, independent of the payloads chosen above.
    REQUIRE(expected("notify").substr(0, 11) == "04 00 00 29");
    REQUIRE(expected("response").rfind("04 00 00 1f 04 01 7b 22 63 6f 64 65 22 3a 30 2c", 0) == 0);
}

TEST_CASE("contract vectors decode") {
    const auto dict = test::vectors_dictionary();

    SECTION("bodiless packets") {
        auto p = decode_one(from_hex("02 00 00 00"));
        REQUIRE(p.type == packet_type::handshake_ack);
        REQUIRE(p.body.empty());
        p = decode_one(from_hex("03 00 00 00"));
        REQUIRE(p.type == packet_type::heartbeat);
        REQUIRE(p.body.empty());
    }
    SECTION("request") {
        const auto bytes = from_hex(expected("request"));
        const auto p = decode_one(bytes);
        REQUIRE(p.type == packet_type::data);
        message m;
        REQUIRE_FALSE(decode_message(p.body, nullptr, m));
        REQUIRE(m.type == message_type::request);
        REQUIRE(m.id == 1);
        REQUIRE(m.route == "room.join");
        REQUIRE(m.payload == "{}");
        REQUIRE_FALSE(m.compressed_route);
        REQUIRE_FALSE(m.zlib);
        REQUIRE_FALSE(m.error);
    }
    SECTION("notify") {
        const auto bytes = from_hex(expected("notify"));
        const auto body = decode_one(bytes).body;
        message m;
        REQUIRE_FALSE(decode_message(body, &dict, m));
        REQUIRE(m.type == message_type::notify);
        REQUIRE(m.id == 0);
        REQUIRE(m.route == "room.message");
        REQUIRE(m.payload == test::notify_payload);
    }
    SECTION("response") {
        const auto bytes = from_hex(expected("response"));
        const auto body = decode_one(bytes).body;
        message m;
        REQUIRE_FALSE(decode_message(body, nullptr, m));
        REQUIRE(m.type == message_type::response);
        REQUIRE(m.id == 1);
        REQUIRE(m.route.empty());
        REQUIRE(m.payload == test::response_payload);
    }
    SECTION("push") {
        const auto bytes = from_hex(expected("push"));
        const auto body = decode_one(bytes).body;
        message m;
        REQUIRE_FALSE(decode_message(body, nullptr, m));
        REQUIRE(m.type == message_type::push);
        REQUIRE(m.route == "onMessage");
        REQUIRE(m.payload == "{}");
    }
    SECTION("push with dictionary code 5") {
        const auto bytes = from_hex(expected("push_dict"));
        const auto body = decode_one(bytes).body;
        message m;
        REQUIRE_FALSE(decode_message(body, &dict, m));
        REQUIRE(m.type == message_type::push);
        REQUIRE(m.compressed_route);
        REQUIRE(m.route_code == 5);
        REQUIRE(m.route == "onMessage.dict");
        REQUIRE(m.payload == "{}");
        // Without the dictionary the code cannot be resolved.
        REQUIRE(decode_message(body, nullptr, m) == errc::unknown_route_code);
    }
    SECTION("handshake reply") {
        const auto bytes = from_hex(expected("handshake_reply"));
        const auto p = decode_one(bytes);
        REQUIRE(p.type == packet_type::handshake);
        REQUIRE(p.body.size() == 0x3b);
    }
}
