#include "session/message.hpp"

#include <catch2/catch.hpp>

#include <limits>

#include "session/packet.hpp"
#include "tests/session/hex.hpp"

using namespace hearth::session;
using test::from_hex;
using test::to_hex;

namespace {

route_dictionary sample_dictionary() {
    route_dictionary d;
    REQUIRE_FALSE(
        d.assign(std::map<std::string, std::uint16_t>{{"room.join", 1}, {"onMessage", 2}, {"x.y", 0x1234}}));
    return d;
}

// Decodes into `m`, whose views point into `bytes` (kept by the caller).
std::error_code decode_hex(std::string& bytes, const char* hex, message& m,
                           const route_dictionary* dict = nullptr) {
    bytes = from_hex(hex);
    return decode_message(bytes, dict, m);
}

}  // namespace

TEST_CASE("message types and flags") {
    REQUIRE(to_string(message_type::request) == "request");
    REQUIRE(to_string(message_type::push) == "push");
    REQUIRE(to_string(static_cast<message_type>(5)) == "unknown");
    REQUIRE(has_id(message_type::request));
    REQUIRE(has_id(message_type::response));
    REQUIRE_FALSE(has_id(message_type::notify));
    REQUIRE_FALSE(has_route(message_type::response));
}

TEST_CASE("every message type round-trips, plain and compressed") {
    const auto dict = sample_dictionary();
    for (const auto type :
         {message_type::request, message_type::notify, message_type::response, message_type::push}) {
        for (const std::string_view route : {"room.join", "not.in.dict", "x.y"}) {
            for (const std::uint64_t id :
                 {std::uint64_t{1}, std::uint64_t{300}, std::numeric_limits<std::uint64_t>::max()}) {
                for (const auto* d : {static_cast<const route_dictionary*>(nullptr), &dict}) {
                    message m;
                    m.type = type;
                    m.id = id;
                    m.route = route;
                    m.payload = R"({"a":1})";
                    m.error = type == message_type::response;
                    std::string out;
                    REQUIRE_FALSE(encode_message(out, m, d));
                    message back;
                    REQUIRE_FALSE(decode_message(out, d, back));
                    REQUIRE(back.type == type);
                    REQUIRE(back.payload == m.payload);
                    REQUIRE(back.error == m.error);
                    if (has_id(type))
                        REQUIRE(back.id == id);
                    else
                        REQUIRE(back.id == 0);
                    if (has_route(type)) {
                        REQUIRE(back.route == route);
                        REQUIRE(back.compressed_route == (d && d->code(route)));
                    } else {
                        REQUIRE(back.route.empty());
                    }
                }
            }
        }
    }
}

TEST_CASE("compressed route codes are big-endian") {
    const auto dict = sample_dictionary();
    std::string out;
    REQUIRE_FALSE(encode_push_packet(out, "x.y", "", &dict));
    REQUIRE(to_hex(out) == "04 00 00 03 07 12 34");
    message m;
    REQUIRE_FALSE(decode_message(std::string_view(out).substr(4), &dict, m));
    REQUIRE(m.route_code == 0x1234);
    REQUIRE(m.route == "x.y");
}

TEST_CASE("error and zlib flags") {
    std::string out;
    REQUIRE_FALSE(encode_response_packet(out, 5, R"({"code":"timeout","message":"x"})", true));
    REQUIRE(to_hex(out.substr(4, 2)) == "24 05");
    message m;
    REQUIRE_FALSE(decode_message(std::string_view(out).substr(4), nullptr, m));
    REQUIRE(m.error);
    REQUIRE_FALSE(m.zlib);

    message z;
    z.type = message_type::notify;
    z.route = "a.b";
    z.zlib = true;
    out.clear();
    REQUIRE_FALSE(encode_message(out, z));
    REQUIRE(to_hex(out.substr(0, 1)) == "12");
    REQUIRE_FALSE(decode_message(out, nullptr, m));
    REQUIRE(m.zlib);
    REQUIRE(m.type == message_type::notify);
}

TEST_CASE("decode rejects malformed messages") {
    const auto dict = sample_dictionary();
    message m;
    std::string bytes;
    SECTION("empty body") {
        REQUIRE(decode_hex(bytes, "", m) == errc::bad_message);
    }
    SECTION("unknown message types 4..7") {
        for (const char* hex : {"08", "0a", "0c", "0e", "09 00 01"})
            REQUIRE(decode_hex(bytes, hex, m) == errc::unknown_message_type);
    }
    SECTION("reserved flag bits") {
        REQUIRE(decode_hex(bytes, "40 01 00", m) == errc::bad_message);
        REQUIRE(decode_hex(bytes, "82 00", m) == errc::bad_message);
    }
    SECTION("request id 0") {
        REQUIRE(decode_hex(bytes, "00 00 01 61", m) == errc::zero_request_id);
    }
    SECTION("response id 0 is tolerated") {
        REQUIRE_FALSE(decode_hex(bytes, "04 00", m));
    }
    SECTION("bad varints") {
        REQUIRE(decode_hex(bytes, "00", m) == errc::bad_varint);
        REQUIRE(decode_hex(bytes, "00 80", m) == errc::bad_varint);
        REQUIRE(decode_hex(bytes, "04 ff ff ff ff ff ff ff ff ff 7f", m) == errc::bad_varint);
        REQUIRE(decode_hex(bytes, "04 80 80 80 80 80 80 80 80 80 80 01", m) == errc::bad_varint);
    }
    SECTION("truncated plain routes") {
        REQUIRE(decode_hex(bytes, "00 01", m) == errc::bad_message);                 // no route length
        REQUIRE(decode_hex(bytes, "00 01 09 72 6f 6f 6d", m) == errc::bad_message);  // 9 announced, 4 present
        REQUIRE(decode_hex(bytes, "02", m) == errc::bad_message);
        REQUIRE(decode_hex(bytes, "06 01", m) == errc::bad_message);
    }
    SECTION("truncated route codes") {
        REQUIRE(decode_hex(bytes, "03", m, &dict) == errc::bad_message);
        REQUIRE(decode_hex(bytes, "07 00", m, &dict) == errc::bad_message);
        REQUIRE(decode_hex(bytes, "01 05 00", m, &dict) == errc::bad_message);
    }
    SECTION("unknown dictionary codes") {
        REQUIRE(decode_hex(bytes, "03 00 09 7b 7d", m, &dict) == errc::unknown_route_code);
        REQUIRE(decode_hex(bytes, "01 01 00 03", m, &dict) == errc::unknown_route_code);
        REQUIRE(decode_hex(bytes, "03 00 01", m, nullptr) == errc::unknown_route_code);
    }
    SECTION("empty route and empty payload are fine") {
        REQUIRE_FALSE(decode_hex(bytes, "02 00", m));
        REQUIRE(m.route.empty());
        REQUIRE(m.payload.empty());
    }
    SECTION("compressed-route bit is ignored on responses") {
        REQUIRE_FALSE(decode_hex(bytes, "05 07 7b 7d", m));
        REQUIRE(m.type == message_type::response);
        REQUIRE(m.id == 7);
        REQUIRE(m.payload == "{}");
    }
}

TEST_CASE("a failed decode leaves the output untouched") {
    message m;
    m.id = 42;
    const auto bytes = from_hex("00 01 09 72");
    REQUIRE(decode_message(bytes, nullptr, m) == errc::bad_message);
    REQUIRE(m.id == 42);
}

TEST_CASE("encode refuses what cannot be sent") {
    std::string out = "keep";
    message m;
    m.type = message_type::request;
    m.id = 0;
    m.route = "a.b";
    REQUIRE(encode_message(out, m) == errc::zero_request_id);
    REQUIRE(encode_data_packet(out, m) == errc::zero_request_id);
    REQUIRE(out == "keep");

    const std::string long_route(256, 'r');
    REQUIRE(encode_push_packet(out, long_route, "{}") == errc::route_too_long);
    REQUIRE(out == "keep");
    REQUIRE_FALSE(encode_push_packet(out, std::string_view(long_route).substr(1), "{}"));

    // A long route that the dictionary knows travels as its code.
    route_dictionary d;
    // The dictionary itself refuses routes over 255 bytes, so a 255-byte one is the longest.
    REQUIRE(d.add(long_route, 1) == errc::bad_dictionary);

    m.type = static_cast<message_type>(4);
    m.id = 1;
    REQUIRE(encode_message(out, m) == errc::unknown_message_type);
}

TEST_CASE("a push encoded once is shared by many recipients") {
    // The broadcast path: one encode, then the same bytes appended to every session's queue.
    std::string shared;
    REQUIRE_FALSE(encode_push_packet(shared, "onMessage", R"({"text":"hi"})"));
    std::string queue_a = "a", queue_b = "b";
    queue_a += shared;
    queue_b += shared;
    REQUIRE(queue_a.substr(1) == queue_b.substr(1));
    packet_decoder dec;
    int count = 0;
    REQUIRE_FALSE(dec.feed(shared, [&](const packet& p) {
        message m;
        REQUIRE_FALSE(decode_message(p.body, nullptr, m));
        REQUIRE(m.route == "onMessage");
        ++count;
    }));
    REQUIRE(count == 1);
}
